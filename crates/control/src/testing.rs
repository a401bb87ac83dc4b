//! Fresh databases for tests, on every backend this machine offers.
//!
//! SQLite is always tested. PostgreSQL is tested when `CLEARLINE_TEST_POSTGRES_URL` names a
//! server where we may create databases (`make test` starts a throwaway cluster and sets
//! it); with `CLEARLINE_TEST_REQUIRE_POSTGRES=1` its absence is a failure, not a skip.

use crate::db::{Backend, Db};
use sqlx::Connection;

pub const POSTGRES_ENV: &str = "CLEARLINE_TEST_POSTGRES_URL";
pub const REQUIRE_POSTGRES_ENV: &str = "CLEARLINE_TEST_REQUIRE_POSTGRES";

/// The backends to run each storage test on.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    if std::env::var(POSTGRES_ENV).is_ok_and(|v| !v.is_empty()) {
        all.push(Backend::Postgres);
    } else if std::env::var(REQUIRE_POSTGRES_ENV).is_ok_and(|v| v == "1") {
        panic!(
            "{REQUIRE_POSTGRES_ENV}=1 but {POSTGRES_ENV} is not set: PostgreSQL tests cannot run"
        );
    }
    all
}

/// A URL to a brand-new, empty database on `backend`.
pub async fn fresh_url(backend: Backend) -> String {
    let name = format!("t_{}", uuid_like());
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("clearline-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}", dir.join(format!("{name}.db")).display())
        }
        Backend::Postgres => {
            let admin = std::env::var(POSTGRES_ENV).expect("PostgreSQL test URL");
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to test PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let (base, _) = admin.rsplit_once('/').expect("URL with a database name");
            format!("{base}/{name}")
        }
    }
}

/// A connected, migrated, empty database on `backend`.
pub async fn fresh(backend: Backend) -> Db {
    Db::connect(&fresh_url(backend).await)
        .await
        .expect("connect to fresh test database")
}

fn uuid_like() -> String {
    use rand::RngCore;
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}
