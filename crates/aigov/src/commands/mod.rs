//! What each subcommand does: its arguments, the engine's steps, and its output.

pub mod audit;
pub mod audit_watch;
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
    print_checked(text);
}

/// [`print`], saying whether the text was written: false once the reader is gone, so that a
/// stream can stop.
pub fn print_checked(text: &str) -> bool {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).is_ok() && stdout.flush().is_ok()
}
