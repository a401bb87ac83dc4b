//! QuickBooks Online connector.
