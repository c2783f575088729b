//! `aigov check -f PATH...`: the same rules over manifest files, with no cluster. Findings
//! point at the file and line of their object; malformed documents are reported with their
//! file and line and the rest is still checked.

use super::Outcome;
use super::audit::{apply_filter, filter_info, outcome, print_report};
use crate::cli::CheckArgs;
use crate::engine::Error;
use crate::report::findings::{self, Report, ReportInput, SourceLocation};
use crate::settings::Settings;
use aigov_core::manifest;
use aigov_core::rules::{Inputs, evaluate};
use std::collections::BTreeMap;

pub fn run(settings: &Settings, args: &CheckArgs) -> Result<Outcome, Error> {
    let loaded = manifest::load(&args.paths).map_err(|e| Error::Usage(e.to_string()))?;
    let inputs = Inputs {
        settings: settings.rules.clone(),
        ..Default::default()
    };
    let evaluation = evaluate(&loaded.snapshot, &inputs);
    let shown = apply_filter(&evaluation.findings, &args.filter, &[]);
    let result = outcome(&shown, args.filter.fail_on);
    let locations: BTreeMap<String, SourceLocation> = shown
        .iter()
        .filter_map(|f| {
            let id = (
                f.object.kind.clone(),
                f.object.namespace.clone(),
                f.object.name.clone(),
            );
            loaded.locations.get(&id).map(|l| {
                (
                    f.key(),
                    SourceLocation {
                        file: l.file.display().to_string(),
                        line: u32::try_from(l.line).ok(),
                    },
                )
            })
        })
        .collect();
    let hidden = evaluation.findings.len() - shown.len();
    let report = Report::build(ReportInput {
        generated_at: findings::now(),
        origin: None,
        coverage: None,
        namespaces: &evaluation.namespaces,
        findings: shown,
        hidden,
        filter: filter_info(&args.filter, &[]),
        locations,
    });
    print_report(settings, &report, args.filter.format);
    if !loaded.problems.is_empty() {
        for problem in &loaded.problems {
            eprintln!("aigov: {problem}");
        }
        return Err(Error::Usage(format!(
            "{} malformed document(s) (listed above); the other documents were checked",
            loaded.problems.len()
        )));
    }
    Ok(result)
}
