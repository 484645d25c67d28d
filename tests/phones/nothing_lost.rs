//! Nothing a grid worker sends is lost or hidden.
