// The one artifact writer lives in src (the importers convert through it); the kit re-exports it.
export * from "../../src/models/artifact/write.js";
