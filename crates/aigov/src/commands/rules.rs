//! `aigov rules`: the rule catalog, as a table or as the Markdown of docs/rules.md.

use super::{Outcome, print};
use crate::cli::RulesFormat;
use aigov_core::rules::catalog;

pub fn run(format: RulesFormat) -> Outcome {
    match format {
        RulesFormat::Markdown => print(&catalog::markdown()),
        RulesFormat::Table => {
            let mut out = format!("{:<16}  {:<8}  {}\n", "RULE", "SEVERITY", "TITLE");
            for r in catalog::all() {
                out.push_str(&format!(
                    "{:<16}  {:<8}  {}\n",
                    r.id,
                    r.severity.name(),
                    r.title
                ));
            }
            print(&out);
        }
    }
    Outcome::Yes
}
