//! What the guided audit reviews: the six steps (areas in order), the findings of each step
//! frozen when the audit begins, and the auditor's marks and notes on them.

use crate::report::findings::ObjectOut;
use crate::tui::app::App;
use crate::tui::table::{Column, TableModel, TableRow, Tone, column};
use crate::tui::views::clean;
use aigov_core::model::Identity;
use aigov_core::rules::catalog::{self, RuleInfo};
use aigov_core::rules::{Area, Finding, Severity};
use ratatui::layout::Constraint;
use serde::Serialize;

/// One area step: its areas (images include the registry facts) and a short introduction
/// on why the area matters for AI data; the rules' own `checks` and `why` follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDef {
    pub id: &'static str,
    pub title: &'static str,
    /// For the step bar.
    pub short: &'static str,
    pub areas: &'static [Area],
    pub intro: &'static str,
}

pub const STEPS: [StepDef; 6] = [
    StepDef {
        id: "namespaces",
        title: "Namespaces and isolation",
        short: "Namespaces",
        areas: &[Area::Namespaces],
        intro: "Namespaces are where RBAC, quotas, Pod Security and network policy are set. This step checks that AI workloads run in namespaces of their own, that those namespaces enforce a Pod Security level, and that NetworkPolicies fence their pods in: a model server or training job that shares a namespace or an open network shares its data with everything else there.",
    },
    StepDef {
        id: "rbac",
        title: "RBAC",
        short: "RBAC",
        areas: &[Area::Rbac],
        intro: "RBAC decides who can read the Secrets that hold model-hub and cloud tokens, exec into the pods that hold weights and prompts in memory, and create pods that mount datasets. This step checks the grants in AI namespaces and the cluster-wide grants that reach into them.",
    },
    StepDef {
        id: "reach",
        title: "Data reach",
        short: "Data reach",
        areas: &[Area::Reach],
        intro: "Data reach follows the volumes that hold datasets, checkpoints and model weights to the subjects that can reach them: by creating a pod that mounts them, by exec into a pod that mounts them, or through a pod's service account. It also checks hostPath mounts, read-write mounts where read-only would do, and storage that outlives its claim.",
    },
    StepDef {
        id: "images",
        title: "Images",
        short: "Images",
        areas: &[Area::Images, Area::Registry],
        intro: "An image reference decides which code runs next to the data. This step checks that AI workloads pin their images by digest and that replicas run the same digest: a tag that moves silently swaps the code that loads the model and reads the data.",
    },
    StepDef {
        id: "config",
        title: "Config",
        short: "Config",
        areas: &[Area::Config],
        intro: "Model configuration decides which model is served, with which parameters and which credentials. This step looks for secret-like literals in ConfigMaps and environment variables, and for drift of the ConfigMaps and Secrets that AI workloads use since the approved baseline. Values are never shown.",
    },
    StepDef {
        id: "admission",
        title: "Admission",
        short: "Admission",
        areas: &[Area::Admission],
        intro: "Admission policies are the guardrail that keeps the other areas fixed while workloads change. This step checks that AI namespaces are covered by a policy that requires image digests, so a mutable image cannot be admitted at all.",
    },
];

/// The auditor's verdict on one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mark {
    AcceptedRisk,
    NeedsFix,
    NotApplicable,
}

impl Mark {
    pub const ALL: [Mark; 3] = [Mark::AcceptedRisk, Mark::NeedsFix, Mark::NotApplicable];

    pub fn name(self) -> &'static str {
        match self {
            Mark::AcceptedRisk => "accepted risk",
            Mark::NeedsFix => "needs fix",
            Mark::NotApplicable => "not applicable",
        }
    }

    /// The table cell: short enough for an 80-column screen.
    pub fn short(self) -> &'static str {
        match self {
            Mark::AcceptedRisk => "accepted",
            Mark::NeedsFix => "needs fix",
            Mark::NotApplicable => "n/a",
        }
    }

    /// Accepting a risk or waving a finding away must say why; a fix speaks for itself.
    pub fn note_required(self) -> bool {
        !matches!(self, Mark::NeedsFix)
    }
}

/// One finding under review, its cluster text already sanitised.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub key: String,
    pub rule: String,
    pub severity: Severity,
    pub area: Area,
    pub object: ObjectOut,
    pub title: String,
    pub explanation: String,
    pub evidence: Vec<String>,
    pub incomplete: bool,
    pub mark: Option<Mark>,
    pub note: String,
}

impl Item {
    fn of(f: &Finding) -> Item {
        Item {
            key: clean(&f.key()),
            rule: f.rule.id.to_string(),
            severity: f.severity,
            area: f.area(),
            object: ObjectOut {
                kind: clean(&f.object.kind),
                namespace: clean(&f.object.namespace),
                name: clean(&f.object.name),
                path: clean(&f.object.place.to_string()),
            },
            title: clean(&f.title),
            explanation: clean(&f.explanation),
            evidence: f.evidence.iter().map(|e| clean(e)).collect(),
            incomplete: f.incomplete,
            mark: None,
            note: String::new(),
        }
    }

    /// The table row; marked rows are muted so what is left stands out.
    pub fn row(&self, index: usize) -> TableRow {
        let mut title = self.title.clone();
        if self.incomplete {
            title.insert_str(0, "[incomplete] ");
        }
        let tone = if self.mark.is_some() {
            Tone::Muted
        } else {
            Tone::Severity(self.severity)
        };
        TableRow::new(
            vec![
                self.mark.map_or("·", Mark::short).to_string(),
                self.severity.name().to_string(),
                self.rule.clone(),
                self.object.to_string(),
                title,
            ],
            self.key.clone(),
            tone,
        )
        .source(index)
    }
}

/// Where the rule id sits in [`columns`].
pub const RULE_COLUMN: usize = 2;

pub fn columns() -> Vec<Column> {
    vec![
        column("MARK", Constraint::Length(9)),
        column("SEVERITY", Constraint::Length(8)),
        column("RULE", Constraint::Length(15)),
        column("OBJECT", Constraint::Percentage(35)),
        column("FINDING", Constraint::Percentage(65)),
    ]
}

/// Marks per verdict, plus what is left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub findings: usize,
    pub accepted_risk: usize,
    pub needs_fix: usize,
    pub not_applicable: usize,
    pub not_reviewed: usize,
    pub incomplete: usize,
}

impl Counts {
    pub fn of<'a>(items: impl IntoIterator<Item = &'a Item>) -> Counts {
        let mut c = Counts::default();
        for item in items {
            c.findings += 1;
            c.incomplete += usize::from(item.incomplete);
            match item.mark {
                Some(Mark::AcceptedRisk) => c.accepted_risk += 1,
                Some(Mark::NeedsFix) => c.needs_fix += 1,
                Some(Mark::NotApplicable) => c.not_applicable += 1,
                None => c.not_reviewed += 1,
            }
        }
        c
    }

    pub fn marked(&self) -> usize {
        self.findings - self.not_reviewed
    }

    pub fn add(&mut self, other: &Counts) {
        self.findings += other.findings;
        self.accepted_risk += other.accepted_risk;
        self.needs_fix += other.needs_fix;
        self.not_applicable += other.not_applicable;
        self.not_reviewed += other.not_reviewed;
        self.incomplete += other.incomplete;
    }
}

/// One step's findings and where the auditor is in them.
#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    pub def: StepDef,
    pub items: Vec<Item>,
    /// The rows of `items`, in the same order (row `i` shows item `i`; never filtered).
    pub table: TableModel,
    /// The first row on screen, kept so the list scrolls rather than jumps.
    pub offset: usize,
}

impl StepState {
    pub fn rules(&self) -> Vec<&'static RuleInfo> {
        catalog::all()
            .into_iter()
            .filter(|r| self.def.areas.contains(&r.area))
            .collect()
    }

    pub fn selected(&self) -> Option<usize> {
        self.table.selected_index()
    }

    /// Redraw one item's row after its mark changed.
    pub fn refresh_row(&mut self, index: usize) {
        if let (Some(item), Some(row)) = (self.items.get(index), self.table.rows.get_mut(index)) {
            *row = item.row(index);
        }
    }

    pub fn counts(&self) -> Counts {
        Counts::of(&self.items)
    }
}

/// The audit, frozen when it begins: the cluster it is of, who looked, and every finding by
/// step. Live updates after that do not move findings under the auditor's marks.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    pub context: String,
    pub server: String,
    pub identity: Identity,
    pub read_only: bool,
    /// When the data under review arrived (the console clock).
    pub data_at: Option<String>,
    pub steps: Vec<StepState>,
    /// Bumped on every change of a mark or note, so unsaved work can be told apart.
    pub revision: u64,
}

impl Audit {
    /// The audit of the app's current data; `None` until data has arrived.
    pub fn build(app: &App) -> Option<Audit> {
        let data = app.data.as_ref()?;
        let findings = &data.evaluation.findings;
        let steps = STEPS
            .iter()
            .map(|def| {
                let items: Vec<Item> = findings
                    .iter()
                    .filter(|f| def.areas.contains(&f.area()))
                    .map(Item::of)
                    .collect();
                let rows = items.iter().enumerate().map(|(i, it)| it.row(i)).collect();
                StepState {
                    def: *def,
                    items,
                    table: TableModel::new(columns(), rows),
                    offset: 0,
                }
            })
            .collect();
        let (context, server, identity) = match &app.connection {
            Some(c) => (
                clean(&c.context),
                clean(&c.server),
                Identity {
                    username: clean(&c.identity.username),
                    groups: c.identity.groups.iter().map(|g| clean(g)).collect(),
                    source: clean(&c.identity.source),
                },
            ),
            None => (
                "unknown".to_string(),
                "unknown".to_string(),
                Identity::default(),
            ),
        };
        Some(Audit {
            context,
            server,
            identity,
            read_only: app.read_only(),
            data_at: app.refreshed_at.clone(),
            steps,
            revision: 0,
        })
    }

    pub fn counts(&self) -> Counts {
        let mut total = Counts::default();
        for step in &self.steps {
            total.add(&step.counts());
        }
        total
    }
}

/// Findings per step straight from the app's data, for the introduction before the audit
/// is built.
pub fn preview(app: &App) -> Option<Vec<usize>> {
    let data = app.data.as_ref()?;
    let mut counts = vec![0; STEPS.len()];
    for f in &data.evaluation.findings {
        if let Some(i) = STEPS.iter().position(|s| s.areas.contains(&f.area())) {
            counts[i] += 1;
        }
    }
    Some(counts)
}
