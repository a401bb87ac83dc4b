-- How many days before an authorization ends the reminders start (Home alert, Connections,
-- the weekly run's renewal item). Owners set it in Settings.
ALTER TABLE org_settings
    ADD COLUMN reminder_days INTEGER NOT NULL DEFAULT 14 CHECK (reminder_days BETWEEN 1 AND 90);
