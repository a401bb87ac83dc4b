//! Who the studio deals with: clients, suppliers, card merchants, and what they usually cost.
//! Names are spelled one way in QBO and often another on the Wise statement (case, legal
//! suffix), as they are in real life.

/// Someone on both sides: `name` is the QBO display name, `bank_name` what Wise shows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Party {
    /// Record key suffix (`customer:<key>` / `vendor:<key>`).
    pub key: &'static str,
    pub name: &'static str,
    pub bank_name: &'static str,
    pub currency: &'static str,
}

const fn party(
    key: &'static str,
    name: &'static str,
    bank_name: &'static str,
    currency: &'static str,
) -> Party {
    Party {
        key,
        name,
        bank_name,
        currency,
    }
}

/// How a client writes the payment reference.
#[derive(Debug, Clone, Copy)]
pub(super) enum ReferenceStyle {
    /// The invoice number as printed (`INV-20417`).
    Exact,
    /// Words and the number (`Rechnung 20417`).
    Worded(&'static str),
    /// Nothing useful.
    Missing,
}

pub(super) struct Client {
    pub party: Party,
    pub style: ReferenceStyle,
    /// Payments per month (inclusive range) and their size in cents.
    pub per_month: (i64, i64),
    pub cents: (i64, i64),
    /// What the studio invoices them for.
    pub work: &'static str,
}

pub(super) const CLIENTS: [Client; 11] = [
    Client {
        party: party(
            "nordlicht",
            "Nordlicht Verlag GmbH",
            "NORDLICHT VERLAG GMBH",
            "EUR",
        ),
        style: ReferenceStyle::Worded("Rechnung "),
        per_month: (1, 3),
        cents: (180_000, 640_000),
        work: "Book cover series",
    },
    Client {
        party: party("marceau", "Atelier Marceau SARL", "Atelier Marceau", "EUR"),
        style: ReferenceStyle::Exact,
        per_month: (1, 2),
        cents: (90_000, 320_000),
        work: "Packaging design",
    },
    Client {
        party: party(
            "vandijk",
            "Van Dijk Architecten BV",
            "VAN DIJK ARCHITECTEN B.V.",
            "EUR",
        ),
        style: ReferenceStyle::Exact,
        per_month: (0, 1),
        cents: (250_000, 780_000),
        work: "Exhibition graphics",
    },
    Client {
        party: party(
            "melange",
            "Kaffeehaus Melange GmbH",
            "Kaffeehaus Melange GmbH",
            "EUR",
        ),
        style: ReferenceStyle::Worded("Invoice "),
        per_month: (1, 2),
        cents: (35_000, 140_000),
        work: "Menu and signage",
    },
    Client {
        party: party("fiore", "Studio Fiore Srl", "STUDIO FIORE SRL", "EUR"),
        style: ReferenceStyle::Exact,
        per_month: (0, 1),
        cents: (120_000, 410_000),
        work: "Brand refresh",
    },
    Client {
        party: party(
            "halvorsen",
            "Halvorsen Design AS",
            "HALVORSEN DESIGN AS",
            "EUR",
        ),
        style: ReferenceStyle::Missing,
        per_month: (0, 1),
        cents: (80_000, 260_000),
        work: "Catalogue layout",
    },
    Client {
        party: party("harbor", "Harbor & Finch LLC", "HARBOR & FINCH LLC", "USD"),
        style: ReferenceStyle::Exact,
        per_month: (1, 3),
        cents: (240_000, 720_000),
        work: "Website design",
    },
    Client {
        party: party(
            "bluebird",
            "Bluebird Goods Inc",
            "Bluebird Goods, Inc.",
            "USD",
        ),
        style: ReferenceStyle::Worded("Invoice #"),
        per_month: (1, 1),
        cents: (150_000, 480_000),
        work: "Product photography art direction",
    },
    Client {
        party: party(
            "copperline",
            "Copperline Coffee Co",
            "COPPERLINE COFFEE CO",
            "USD",
        ),
        style: ReferenceStyle::Missing,
        per_month: (0, 1),
        cents: (60_000, 210_000),
        work: "Label illustrations",
    },
    Client {
        party: party(
            "pemberton",
            "Pemberton Studios Ltd",
            "PEMBERTON STUDIOS LIMITED",
            "GBP",
        ),
        style: ReferenceStyle::Exact,
        per_month: (1, 2),
        cents: (120_000, 450_000),
        work: "Title sequence design",
    },
    Client {
        party: party(
            "wexford",
            "Wexford Hall Books Ltd",
            "WEXFORD HALL BOOKS",
            "GBP",
        ),
        style: ReferenceStyle::Worded("Inv "),
        per_month: (0, 1),
        cents: (70_000, 230_000),
        work: "Cover illustrations",
    },
];

/// The client whose workshop series is paid in instalments and deposited as one (GBP batch).
pub(super) const WORKSHOP_CLIENT: Party =
    party("thistle", "Thistle & Rye Ltd", "Thistle & Rye Ltd", "GBP");

/// How a supplier numbers the invoices the studio pays.
#[derive(Debug, Clone, Copy)]
pub(super) enum Numbering {
    /// `<prefix><n>`, `n` counting up from the given start.
    From(&'static str, i64),
    /// `<prefix><yyyy>-<mm>` of the month paid (rent, retainers).
    Monthly(&'static str),
}

pub(super) struct Supplier {
    pub party: Party,
    /// Key of the expense account the work is booked to.
    pub expense: &'static str,
    pub work: &'static str,
    pub numbering: Numbering,
    pub per_month: (i64, i64),
    pub cents: (i64, i64),
    /// Paid on this day of the month (rent), else any business day.
    pub day: Option<i64>,
    /// Wise's fee range for a payment to them, in cents.
    pub fee: (i64, i64),
}

pub(super) const SUPPLIERS: [Supplier; 10] = [
    Supplier {
        party: party(
            "spreeblick",
            "Coworking Spreeblick GmbH",
            "Coworking Spreeblick GmbH",
            "EUR",
        ),
        expense: "rent",
        work: "Studio desks",
        numbering: Numbering::Monthly("SPB-"),
        per_month: (1, 1),
        cents: (115_000, 115_000),
        day: Some(1),
        fee: (41, 41),
    },
    Supplier {
        party: party("albers", "Steuerbüro Albers", "Steuerbüro Albers", "EUR"),
        expense: "professional",
        work: "Bookkeeping and payroll",
        numbering: Numbering::Monthly("ALB-"),
        per_month: (1, 1),
        cents: (39_000, 39_000),
        day: Some(10),
        fee: (43, 43),
    },
    Supplier {
        party: party(
            "hansen",
            "Druckerei Hansen KG",
            "DRUCKEREI HANSEN KG",
            "EUR",
        ),
        expense: "printing",
        work: "Print run",
        numbering: Numbering::From("DH-", 40_180),
        per_month: (1, 2),
        cents: (28_000, 240_000),
        day: None,
        fee: (45, 160),
    },
    Supplier {
        party: party("vogt", "Lena Vogt Illustration", "Lena Vogt", "EUR"),
        expense: "subcontractors",
        work: "Illustrations",
        numbering: Numbering::From("LV-", 2_141),
        per_month: (0, 2),
        cents: (60_000, 280_000),
        day: None,
        fee: (45, 140),
    },
    Supplier {
        party: party("bellini", "Marco Bellini", "MARCO BELLINI", "EUR"),
        expense: "subcontractors",
        work: "Front-end development",
        numbering: Numbering::From("MB-", 1_077),
        per_month: (1, 1),
        cents: (120_000, 380_000),
        day: None,
        fee: (45, 140),
    },
    Supplier {
        party: party("typotheque", "Typotheque BV", "Typotheque B.V.", "EUR"),
        expense: "software",
        work: "Font licences",
        numbering: Numbering::From("TT-", 88_410),
        per_month: (0, 1),
        cents: (9_000, 48_000),
        day: None,
        fee: (60, 190),
    },
    Supplier {
        party: party(
            "loomwork",
            "Loomwork Type Foundry",
            "LOOMWORK TYPE FOUNDRY",
            "USD",
        ),
        expense: "software",
        work: "Typeface licence",
        numbering: Numbering::From("LTF-", 5_530),
        per_month: (0, 1),
        cents: (12_000, 64_000),
        day: None,
        fee: (110, 390),
    },
    Supplier {
        party: party("kestrel", "Kestrel Photo LLC", "Kestrel Photo LLC", "USD"),
        expense: "subcontractors",
        work: "Product photography",
        numbering: Numbering::From("KP-", 3_310),
        per_month: (0, 1),
        cents: (40_000, 180_000),
        day: None,
        fee: (110, 390),
    },
    Supplier {
        party: party(
            "pressmark",
            "Pressmark Print Ltd",
            "PRESSMARK PRINT LTD",
            "GBP",
        ),
        expense: "printing",
        work: "Litho printing",
        numbering: Numbering::From("PP-", 7_702),
        per_month: (1, 1),
        cents: (15_000, 90_000),
        day: None,
        fee: (25, 120),
    },
    Supplier {
        party: party("quayle", "Oliver Quayle", "Oliver Quayle", "GBP"),
        expense: "subcontractors",
        work: "Copywriting",
        numbering: Numbering::From("OQ-", 1_204),
        per_month: (0, 1),
        cents: (35_000, 120_000),
        day: None,
        fee: (25, 120),
    },
];

/// Index of the supplier whose print jobs are paid three at a time (EUR one-to-many).
pub(super) const HANSEN: usize = 2;
/// Index of the supplier paid two bills at once (GBP one-to-many).
pub(super) const PRESSMARK: usize = 8;

/// A card merchant: a subscription (`day` set, fixed price) or everyday spend.
pub(super) struct Shop {
    pub party: Party,
    pub expense: &'static str,
    pub work: &'static str,
    pub per_month: (i64, i64),
    pub cents: (i64, i64),
    /// Charged on this day of the month (subscriptions), else any day.
    pub day: Option<i64>,
}

/// Subscriptions with the same price from different vendors a few days apart are the classic
/// trap for an amount-only matcher (Notion and Framer, Dropbox and Miro).
pub(super) const SHOPS: [Shop; 22] = [
    Shop {
        party: party("figma", "Figma", "FIGMA", "USD"),
        expense: "software",
        work: "Figma Professional, 3 editors",
        per_month: (1, 1),
        cents: (4_500, 4_500),
        day: Some(3),
    },
    Shop {
        party: party("notion", "Notion Labs", "NOTION LABS, INC.", "USD"),
        expense: "software",
        work: "Notion Plus",
        per_month: (1, 1),
        cents: (3_000, 3_000),
        day: Some(5),
    },
    Shop {
        party: party("framer", "Framer", "FRAMER B.V.", "USD"),
        expense: "software",
        work: "Framer Pro site plan",
        per_month: (1, 1),
        cents: (3_000, 3_000),
        day: Some(7),
    },
    Shop {
        party: party("slack", "Slack", "SLACK TECHNOLOGIES", "USD"),
        expense: "software",
        work: "Slack Pro",
        per_month: (1, 1),
        cents: (2_625, 2_625),
        day: Some(9),
    },
    Shop {
        party: party("github", "GitHub", "GITHUB, INC.", "USD"),
        expense: "software",
        work: "GitHub Team",
        per_month: (1, 1),
        cents: (2_100, 2_100),
        day: Some(11),
    },
    Shop {
        party: party("linear", "Linear", "LINEAR ORBIT INC", "USD"),
        expense: "software",
        work: "Linear Standard",
        per_month: (1, 1),
        cents: (2_400, 2_400),
        day: Some(15),
    },
    Shop {
        party: party("google", "Google Workspace", "GOOGLE*WORKSPACE", "EUR"),
        expense: "software",
        work: "Google Workspace Business Standard",
        per_month: (1, 1),
        cents: (2_760, 2_760),
        day: Some(1),
    },
    Shop {
        party: party(
            "adobe",
            "Adobe",
            "ADOBE SYSTEMS SOFTWARE IRELAND LTD",
            "EUR",
        ),
        expense: "software",
        work: "Creative Cloud All Apps",
        per_month: (1, 1),
        cents: (7_139, 7_139),
        day: Some(6),
    },
    Shop {
        party: party("dropbox", "Dropbox", "DROPBOX", "EUR"),
        expense: "software",
        work: "Dropbox Business",
        per_month: (1, 1),
        cents: (1_920, 1_920),
        day: Some(12),
    },
    Shop {
        party: party("miro", "Miro", "MIRO", "EUR"),
        expense: "software",
        work: "Miro Starter",
        per_month: (1, 1),
        cents: (1_920, 1_920),
        day: Some(14),
    },
    Shop {
        party: party("vimeo", "Vimeo", "VIMEO.COM", "USD"),
        expense: "software",
        work: "Vimeo Pro",
        per_month: (1, 1),
        cents: (2_000, 2_000),
        day: Some(21),
    },
    Shop {
        party: party(
            "hetzner",
            "Hetzner Online GmbH",
            "HETZNER ONLINE GMBH",
            "EUR",
        ),
        expense: "software",
        work: "Servers",
        per_month: (1, 1),
        cents: (1_849, 1_849),
        day: Some(2),
    },
    Shop {
        party: party("vodafone", "Vodafone GmbH", "VODAFONE GMBH", "EUR"),
        expense: "office",
        work: "Mobile phones",
        per_month: (1, 1),
        cents: (3_999, 3_999),
        day: Some(20),
    },
    Shop {
        party: party("shutterstock", "Shutterstock", "SHUTTERSTOCK UK", "GBP"),
        expense: "software",
        work: "Image subscription",
        per_month: (1, 1),
        cents: (2_900, 2_900),
        day: Some(18),
    },
    Shop {
        party: party(
            "bahn",
            "DB Vertrieb (Deutsche Bahn)",
            "DB Vertrieb GmbH",
            "EUR",
        ),
        expense: "travel",
        work: "Train tickets",
        per_month: (2, 4),
        cents: (2_990, 18_900),
        day: None,
    },
    Shop {
        party: party("dhl", "DHL Paket", "DHL PAKET GMBH", "EUR"),
        expense: "postage",
        work: "Courier",
        per_month: (4, 8),
        cents: (699, 3_900),
        day: None,
    },
    Shop {
        party: party("kontor", "Kaffee Kontor", "KAFFEE KONTOR", "EUR"),
        expense: "meals",
        work: "Client coffee",
        per_month: (7, 12),
        cents: (420, 1_860),
        day: None,
    },
    Shop {
        party: party("boesner", "Boesner GmbH", "BOESNER GMBH", "EUR"),
        expense: "office",
        work: "Art supplies",
        per_month: (1, 3),
        cents: (2_200, 24_000),
        day: None,
    },
    Shop {
        party: party("amazon", "Amazon EU", "AMAZON EU SARL", "EUR"),
        expense: "office",
        work: "Studio supplies",
        per_month: (2, 4),
        cents: (1_200, 16_000),
        day: None,
    },
    Shop {
        party: party("royalmail", "Royal Mail", "ROYAL MAIL", "GBP"),
        expense: "postage",
        work: "Postage",
        per_month: (1, 3),
        cents: (450, 2_800),
        day: None,
    },
    Shop {
        party: party("tfl", "TfL Travel", "TFL TRAVEL CHARGE", "GBP"),
        expense: "travel",
        work: "Client visits",
        per_month: (2, 4),
        cents: (560, 2_200),
        day: None,
    },
    Shop {
        party: party("pret", "Pret A Manger", "PRET A MANGER", "GBP"),
        expense: "meals",
        work: "Client lunch",
        per_month: (1, 2),
        cents: (520, 1_900),
        day: None,
    },
];

/// Vendors the books pay from the Wise accounts by mistake (cards of another bank): postings
/// with no bank line. Never seen on a Wise statement.
pub(super) const STRANGERS: [(Party, &str, &str, i64); 3] = [
    (
        party("bueromarkt", "Büromarkt Böttcher AG", "", "EUR"),
        "office",
        "Office chairs",
        21_847,
    ),
    (
        party("ryman", "Ryman Stationery", "", "GBP"),
        "office",
        "Stationery",
        4_615,
    ),
    (
        party("bhphoto", "B&H Photo Video", "", "USD"),
        "office",
        "Camera lens",
        38_999,
    ),
];
