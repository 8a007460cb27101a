//! openmig-audit (being written).
