//! What each subcommand does: its arguments, the engine's steps, and its output.

pub mod audit;
pub mod baseline;
pub mod can_i;
pub mod check;
pub mod images;
pub mod inventory;
pub mod log;
pub mod plan;
pub mod reach;
pub mod rules;
pub mod sim;
pub mod who_can;

/// How a command that answers a question ended: exit 0 or exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success, clean, or "yes".
    Yes,
    /// The answer is "no", or findings reach the failure threshold.
    No,
}

/// Write a command's text to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
