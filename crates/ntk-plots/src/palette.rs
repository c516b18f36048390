//! One palette everywhere: the Okabe–Ito colour-blind-safe set (Okabe & Ito 2008),
//! with black reserved for the analytic (infinite-width) curves.

use plotters::style::RGBColor;

/// Analytic, infinite-width curves: always black, solid.
pub const ANALYTIC: RGBColor = RGBColor(0, 0, 0);
/// Okabe–Ito orange.
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
/// Okabe–Ito sky blue.
pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
/// Okabe–Ito bluish green.
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
/// Okabe–Ito yellow.
pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
/// Okabe–Ito blue.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Okabe–Ito vermillion.
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
/// Okabe–Ito reddish purple.
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
/// Text and axes.
pub const TEXT: RGBColor = RGBColor(34, 34, 34);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(225, 225, 225);

/// The light and dark ends of the colour ramps ([`crate::common::Ramp`]).
pub const PALE_BLUE: RGBColor = RGBColor(198, 225, 245);
pub const NAVY: RGBColor = RGBColor(8, 48, 107);
pub const DEEP_NAVY: RGBColor = RGBColor(8, 29, 70);
pub const PALE_ORANGE: RGBColor = RGBColor(240, 200, 120);
pub const BROWN: RGBColor = RGBColor(110, 40, 0);
/// The centre (zero) of the diverging ramp, and the low end of the kernel ramp.
pub const NEAR_WHITE: RGBColor = RGBColor(247, 247, 247);
pub const PAPER: RGBColor = RGBColor(250, 250, 250);

/// Colours for unordered series (eigenvectors, distributions, modes), in turn.
pub const CYCLE: [RGBColor; 6] = [BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY_BLUE];
