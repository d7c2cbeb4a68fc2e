//! Go's own rules, exactly as cmd/go applies them: module path patterns, GOPROXY lists, GOSUMDB,
//! the effective go environment, go.mod/go.work and the project shape, command classes.
