//! QBO emulator (in progress).
