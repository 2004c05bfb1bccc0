// The runs filter parser (MLflow's search syntax): the trees it builds, and errors that point at the
// bad token.
import { describe, expect, it } from "vitest";
import { parseRunFilter, parseRunOrderClause, RunFilterError } from "../../src/store/index.js";

function errorOf(text: string): RunFilterError {
  try {
    parseRunFilter(text);
  } catch (e) {
    expect(e).toBeInstanceOf(RunFilterError);
    expect((e as RunFilterError).code).toBe("INVALID_ARGUMENT");
    return e as RunFilterError;
  }
  throw new Error(`${text} parsed`);
}

describe("parseRunFilter", () => {
  it("parses MLflow's example: metrics and params joined by AND", () => {
    expect(parseRunFilter("metrics.roc_auc > 0.99 and params.model = 'gbdt'")).toEqual({
      kind: "and",
      items: [
        { kind: "number", entity: "metric", key: "roc_auc", op: ">", value: 0.99 },
        { kind: "string", entity: "param", key: "model", op: "=", value: "gbdt" },
      ],
    });
  });

  it("treats empty and blank filters as none", () => {
    expect(parseRunFilter(undefined)).toBeUndefined();
    expect(parseRunFilter("  ")).toBeUndefined();
  });

  it("reads every comparator, prefix spelling, quoting and attribute alias", () => {
    expect(parseRunFilter("metric.`val loss` <= -1.5e-3")).toMatchObject({
      key: "val loss",
      op: "<=",
      value: -0.0015,
    });
    expect(parseRunFilter('metrics."train/loss">=2')).toMatchObject({
      key: "train/loss",
      op: ">=",
      value: 2,
    });
    expect(parseRunFilter("metrics.train/loss != 2")).toMatchObject({ key: "train/loss", op: "!=" });
    expect(parseRunFilter("metrics.a <> 2")).toMatchObject({ op: "!=" });
    expect(parseRunFilter("metrics.a == 2")).toMatchObject({ op: "=" });
    expect(parseRunFilter("tags.team LIKE 'ml%'")).toMatchObject({ entity: "tag", op: "LIKE", value: "ml%" });
    expect(parseRunFilter('params.model ilike "GB%"')).toMatchObject({ op: "ILIKE", value: "GB%" });
    expect(parseRunFilter("attributes.status = 'FINISHED'")).toMatchObject({
      entity: "attribute",
      key: "status",
    });
    expect(parseRunFilter("run_name = 'it''s'")).toMatchObject({ key: "run_name", value: "it's" });
    expect(parseRunFilter("attr.start_time > 5")).toMatchObject({ key: "start_time_ms", kind: "number" });
    expect(parseRunFilter("end_time < 5")).toMatchObject({ key: "end_time_ms" });
    expect(parseRunFilter("run_id IN ('a', 'b')")).toMatchObject({
      kind: "in",
      negated: false,
      values: ["a", "b"],
    });
    expect(parseRunFilter("params.x not in ('1')")).toMatchObject({
      kind: "in",
      negated: true,
      values: ["1"],
    });
  });

  it("binds AND tighter than OR, and honours parentheses", () => {
    const f = parseRunFilter("metrics.a > 1 or metrics.b > 2 and metrics.c > 3");
    expect(f).toMatchObject({
      kind: "or",
      items: [{ key: "a" }, { kind: "and", items: [{ key: "b" }, { key: "c" }] }],
    });
    const g = parseRunFilter("(metrics.a > 1 or metrics.b > 2) and metrics.c > 3");
    expect(g).toMatchObject({ kind: "and", items: [{ kind: "or" }, { key: "c" }] });
  });

  it("points at the bad token: position, what was expected, what was there", () => {
    const bad = errorOf("metrics.roc_auc >> 0.99");
    expect(bad.position).toBe(17);
    expect(bad.got).toBe('">"');
    expect(bad.message).toContain("character 18");
    expect(errorOf("metrics.roc_auc > high").position).toBe(18);
    expect(errorOf("metrics.roc_auc > 0.9 and").position).toBe(25);
    expect(errorOf("params.model = gbdt").position).toBe(15);
    expect(errorOf("params.model > 'a'").position).toBe(13);
    expect(errorOf("bogus.x = 1").position).toBe(0);
    expect(errorOf("color = 'red'").position).toBe(0);
    expect(errorOf("metrics.a > 1 metrics.b > 2").position).toBe(14);
    expect(errorOf("params.x = 'open").position).toBe(11);
    expect(errorOf("(metrics.a > 1").position).toBe(14);
    expect(errorOf("metrics.a ~ 1").position).toBe(10);
    expect(errorOf("attributes.color = 'x'").position).toBe(0);
    expect(errorOf("run_id in ('a' 'b')").position).toBe(15);
    expect(errorOf("x".repeat(5000)).code).toBe("INVALID_ARGUMENT");
  });
});

describe("parseRunOrderClause", () => {
  it("reads attributes, entities, quoted keys and directions", () => {
    expect(parseRunOrderClause("metrics.roc_auc DESC")).toEqual({
      field: { entity: "metric", key: "roc_auc" },
      descending: true,
    });
    expect(parseRunOrderClause("params.model")).toEqual({
      field: { entity: "param", key: "model" },
      descending: false,
    });
    expect(parseRunOrderClause("metrics.`val loss` asc")).toMatchObject({ field: { key: "val loss" } });
    expect(parseRunOrderClause("start_time")).toMatchObject({
      field: { entity: "attribute", key: "start_time_ms" },
    });
    expect(parseRunOrderClause("attributes.run_name desc")).toMatchObject({
      field: { key: "run_name" },
      descending: true,
    });
    expect(parseRunOrderClause("tags.team")).toMatchObject({ field: { entity: "tag", key: "team" } });
    for (const bad of ["", "bogus", "bogus.x", "metrics.", "attributes.color", "start_time_ms sideways"]) {
      expect(parseRunOrderClause(bad), bad).toBeUndefined();
    }
  });
});
