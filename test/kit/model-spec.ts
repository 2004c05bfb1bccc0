// The one model description lives in src (the importers build it); the kit re-exports it.
export * from "../../src/models/artifact/spec.js";
