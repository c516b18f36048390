//! The data experiment: a picture of an experiment's inputs and their targets (the
//! page's scatter of the inputs coloured by the target). It runs in the worker with
//! every job: a teacher-network target on 600 inputs costs a forward pass of a
//! 512-wide network, too much for the page's main thread.

use serde::{Deserialize, Serialize};

use super::inputs::{preview, DataPreview, DataSpec};
use super::{default_target, Observer, Part, Reporter};
use crate::error::Result;
use crate::targets::Target;

/// The inputs and the target whose picture is drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub data: DataSpec,
    /// The target (`None`: the inputs alone, unless the user's file has targets).
    pub target: Option<Target>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            data: DataSpec::default(),
            target: Some(default_target()),
        }
    }
}

impl Params {
    /// Check every setting before anything is allocated.
    pub fn validate(&self) -> Result<()> {
        self.data.validate()
    }
}

/// The picture of the data: each input's first two coordinates and its target.
pub fn run(p: &Params, observer: &mut dyn Observer) -> Result<DataPreview> {
    p.validate()?;
    let mut r = Reporter::new(observer, 1);
    let out = preview(&p.data, p.target.as_ref())?;
    r.part(Part::Data(out.clone()));
    r.step(1, "data")?;
    Ok(out)
}
