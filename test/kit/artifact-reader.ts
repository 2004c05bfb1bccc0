// The one artifact reader lives in src (the exporter reads stored models with it); the kit re-exports it.
export * from "../../src/models/artifact/read.js";
