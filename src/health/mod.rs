//! Proxy health: probes, the verdict cache, credentials.
