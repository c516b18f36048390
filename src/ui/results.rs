//! The page's latest results: the newest part of each slot with the generation of its
//! job (old parts stay, dimmed, until new ones arrive). Typed accessors, so that a
//! panel names what it draws and a typo does not compile.

use std::collections::BTreeMap;

use ntk_core::experiments::{
    architectures, capacity, convergence, generalization, kan_vs_mlp, kernel, plane, robustness,
    sgd, spectral_bias, spectrum, spurious,
};
use ntk_core::experiments::{training, DataPreview, Part, Slot};

/// The newest part of each slot and its job's generation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results(BTreeMap<Slot, (u64, Part)>);

macro_rules! accessor {
    ($name:ident, $variant:ident, $ty:ty) => {
        /// The newest part of this slot and its generation.
        pub fn $name(&self) -> Option<(u64, &$ty)> {
            match self.0.get(&Slot::$variant)? {
                (g, Part::$variant(p)) => Some((*g, p)),
                _ => None,
            }
        }
    };
}

impl Results {
    /// Keep `part` of job `generation` as the newest of its slot.
    /// A later part of the same job is absorbed ([`Part::absorb`]: a plane's frames
    /// are appended).
    pub fn insert(&mut self, generation: u64, part: Part) {
        match self.0.get_mut(&part.slot()) {
            Some((g, p)) if *g == generation => p.absorb(part),
            _ => {
                self.0.insert(part.slot(), (generation, part));
            }
        }
    }

    /// The results of these slots only.
    pub fn only(&self, slots: &[Slot]) -> Results {
        Results(
            self.0
                .iter()
                .filter(|(s, _)| slots.contains(s))
                .map(|(s, v)| (*s, v.clone()))
                .collect(),
        )
    }

    /// The newest generation among these slots.
    pub fn generation(&self, slots: &[Slot]) -> Option<u64> {
        slots
            .iter()
            .filter_map(|s| self.0.get(s).map(|v| v.0))
            .max()
    }

    accessor!(circle, Circle, kernel::Circle);
    accessor!(heatmaps, Heatmaps, kernel::Heatmaps);
    accessor!(spectrum, Spectrum, spectrum::Spectrum);
    accessor!(convergence, Convergence, convergence::Convergence);
    accessor!(training, Training, training::Training);
    accessor!(modes, Modes, spectral_bias::Modes);
    accessor!(bound, Bound, generalization::Bound);
    accessor!(learning_curve, LearningCurve, generalization::LearningCurve);
    accessor!(sensitivity, Sensitivity, generalization::Sensitivity);
    accessor!(capacity, Capacity, capacity::Capacity);
    accessor!(data, Data, DataPreview);
    accessor!(architectures, Architectures, architectures::Architectures);
    accessor!(kan_vs_mlp, KanVsMlp, kan_vs_mlp::KanVsMlp);
    accessor!(spurious, Spurious, spurious::Spurious);
    accessor!(robustness, Robustness, robustness::Robustness);
    accessor!(sgd, Sgd, sgd::Sgd);
    accessor!(plane, Plane, plane::Plane);
    accessor!(
        by_distribution,
        ByDistribution,
        generalization::ByDistribution
    );
}
