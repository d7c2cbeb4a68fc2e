//! Configuration: layered `.gomodrc`, user and system config with provenance, and the trust store.
