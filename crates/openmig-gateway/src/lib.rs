//! openmig-gateway (being written).
