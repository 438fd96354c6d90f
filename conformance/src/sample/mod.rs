//! The sample implementation (being written).
