//! openmig-auth (being written).
