//! The shared shape of refusals: a stable machine code and a message in Chinese and English.

/// An error that a person (trustee, auditor, resident) may see.
///
/// `code` is stable: clients, tests and the HTTP API match on it. The messages are for
/// people and may be reworded.
pub trait Coded {
    /// Stable machine code, `snake_case`, e.g. `amount_not_positive`.
    fn code(&self) -> &'static str;
    /// Human explanation in English.
    fn message_en(&self) -> String;
    /// Human explanation in Chinese.
    fn message_zh(&self) -> String;
}
