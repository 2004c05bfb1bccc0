// The runs filter in MLflow's search syntax (`metrics.roc_auc > 0.99 and params.model = 'gbdt'`),
// parsed into a small tree the store turns into SQL. Pure: no I/O, no SQL here. MLflow's grammar
// has AND only; OR and parentheses are accepted too (AND binds tighter), as users ask for them.
import { StoreError } from "./errors.js";

export type FilterEntity = "metric" | "param" | "tag" | "attribute";

/** Run attributes a filter or an order can name, as stored columns. */
export const STRING_ATTRIBUTES = ["run_id", "run_name", "status", "artifact_sha256"] as const;
export const NUMBER_ATTRIBUTES = ["start_time_ms", "end_time_ms"] as const;
export type StringAttribute = (typeof STRING_ATTRIBUTES)[number];
export type NumberAttribute = (typeof NUMBER_ATTRIBUTES)[number];
export type RunAttribute = StringAttribute | NumberAttribute;

/** MLflow's names (and a few obvious ones) for each attribute. */
const ATTRIBUTE_ALIASES: Record<string, RunAttribute> = {
  run_id: "run_id",
  id: "run_id",
  run_name: "run_name",
  name: "run_name",
  status: "status",
  artifact_sha256: "artifact_sha256",
  start_time: "start_time_ms",
  start_time_ms: "start_time_ms",
  created: "start_time_ms",
  end_time: "end_time_ms",
  end_time_ms: "end_time_ms",
};

const ENTITY_PREFIXES: Record<string, FilterEntity> = {
  metric: "metric",
  metrics: "metric",
  param: "param",
  params: "param",
  parameter: "param",
  parameters: "param",
  tag: "tag",
  tags: "tag",
  attribute: "attribute",
  attributes: "attribute",
  attr: "attribute",
  run: "attribute",
};

export type NumberOp = "=" | "!=" | "<" | "<=" | ">" | ">=";
export type StringOp = "=" | "!=" | "LIKE" | "ILIKE";

export type FilterComparison =
  | { kind: "number"; entity: "metric"; key: string; op: NumberOp; value: number }
  | { kind: "number"; entity: "attribute"; key: NumberAttribute; op: NumberOp; value: number }
  | { kind: "string"; entity: "param" | "tag"; key: string; op: StringOp; value: string }
  | { kind: "string"; entity: "attribute"; key: StringAttribute; op: StringOp; value: string }
  | { kind: "in"; entity: "param" | "tag"; key: string; negated: boolean; values: string[] }
  | { kind: "in"; entity: "attribute"; key: StringAttribute; negated: boolean; values: string[] };

export type RunFilter = { kind: "and" | "or"; items: RunFilter[] } | FilterComparison;

/** A filter that does not parse: where (0-based character offset), what was expected, what was there. */
export class RunFilterError extends StoreError {
  constructor(
    readonly position: number,
    readonly expected: string,
    readonly got: string,
  ) {
    super(
      "INVALID_ARGUMENT",
      `invalid filter at character ${position + 1}: expected ${expected}, got ${got}`,
    );
  }
}

type TokenType = "word" | "string" | "quoted-key" | "op" | "(" | ")" | "," | "end";
interface Token {
  type: TokenType;
  text: string;
  /** Unquoted value for strings and quoted keys. */
  value: string;
  pos: number;
  /** No whitespace between this token and the previous one. */
  glued: boolean;
}

const WORD = /[A-Za-z0-9_.\-/:+@]/;
const OPS = ["!=", "<>", "<=", ">=", "==", "=", "<", ">"];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let glued = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      glued = false;
      continue;
    }
    const start = i;
    if (c === "'" || c === '"' || c === "`") {
      let value = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new RunFilterError(start, `a closing ${c}`, "the end of the filter");
        const d = text[i] as string;
        if (d === c) {
          // A doubled quote stands for itself, as in SQL.
          if (text[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (d === "\\" && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      tokens.push({
        type: c === "`" ? "quoted-key" : "string",
        text: text.slice(start, i),
        value,
        pos: start,
        glued,
      });
    } else if (c === "(" || c === ")" || c === ",") {
      i++;
      tokens.push({ type: c, text: c, value: c, pos: start, glued });
    } else if ("=!<>".includes(c)) {
      const op = OPS.find((o) => text.startsWith(o, i));
      if (!op) throw new RunFilterError(start, "a comparator (=, !=, <, <=, >, >=)", JSON.stringify(c));
      i += op.length;
      tokens.push({ type: "op", text: op, value: op, pos: start, glued });
    } else if (WORD.test(c)) {
      while (i < text.length && WORD.test(text[i] as string)) i++;
      const word = text.slice(start, i);
      tokens.push({ type: "word", text: word, value: word, pos: start, glued });
    } else {
      throw new RunFilterError(start, "a key, a value, a comparator, AND or OR", JSON.stringify(c));
    }
    glued = true;
  }
  tokens.push({ type: "end", text: "", value: "", pos: text.length, glued: false });
  return tokens;
}

const describe = (t: Token): string => (t.type === "end" ? "the end of the filter" : JSON.stringify(t.text));
const isWord = (t: Token, w: string): boolean => t.type === "word" && t.text.toUpperCase() === w;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }
  private next(): Token {
    return this.tokens[this.i++] as Token;
  }
  private fail(t: Token, expected: string): never {
    throw new RunFilterError(t.pos, expected, describe(t));
  }

  parse(): RunFilter {
    const expr = this.or();
    const t = this.peek();
    if (t.type !== "end") this.fail(t, "AND, OR or the end of the filter");
    return expr;
  }

  private or(): RunFilter {
    const items = [this.and()];
    while (isWord(this.peek(), "OR")) {
      this.next();
      items.push(this.and());
    }
    return items.length === 1 ? (items[0] as RunFilter) : { kind: "or", items };
  }

  private and(): RunFilter {
    const items = [this.term()];
    while (isWord(this.peek(), "AND")) {
      this.next();
      items.push(this.term());
    }
    return items.length === 1 ? (items[0] as RunFilter) : { kind: "and", items };
  }

  private term(): RunFilter {
    if (this.peek().type === "(") {
      this.next();
      const inner = this.or();
      const close = this.next();
      if (close.type !== ")") this.fail(close, '")"');
      return inner;
    }
    return this.comparison();
  }

  /** `metrics.auc`, metrics.`a b`, metrics."a b", `run_name`, attributes.status. */
  private identifier(): { entity: FilterEntity; key: string; at: Token } {
    const t = this.next();
    const expected =
      "a key such as metrics.<name>, params.<name>, tags.<name> or an attribute (run_name, status, start_time)";
    if (t.type !== "word") this.fail(t, expected);
    const dot = t.text.indexOf(".");
    if (dot < 0) {
      const attribute = ATTRIBUTE_ALIASES[t.text.toLowerCase()];
      if (!attribute) this.fail(t, expected);
      return { entity: "attribute", key: attribute, at: t };
    }
    const entity = ENTITY_PREFIXES[t.text.slice(0, dot).toLowerCase()];
    if (!entity) this.fail(t, expected);
    let key = t.text.slice(dot + 1);
    if (key === "") {
      const quoted = this.peek();
      if ((quoted.type === "string" || quoted.type === "quoted-key") && quoted.glued && quoted.value !== "") {
        key = this.next().value;
      } else this.fail(quoted, `a key name after ${JSON.stringify(t.text)}`);
    }
    if (entity === "attribute") {
      const attribute = ATTRIBUTE_ALIASES[key.toLowerCase()];
      if (!attribute) {
        throw new RunFilterError(
          t.pos,
          `an attribute (${Object.keys(ATTRIBUTE_ALIASES).join(", ")})`,
          JSON.stringify(t.text),
        );
      }
      return { entity, key: attribute, at: t };
    }
    return { entity, key, at: t };
  }

  private number(): number {
    const t = this.next();
    if (t.type !== "word" || !NUMBER.test(t.text)) this.fail(t, "a number");
    return Number(t.text);
  }

  private string(): string {
    const t = this.next();
    if (t.type !== "string") this.fail(t, "a quoted string ('…')");
    return t.value;
  }

  private comparison(): FilterComparison {
    const { entity, key } = this.identifier();
    const numeric = entity === "metric" || (NUMBER_ATTRIBUTES as readonly string[]).includes(key);
    const opToken = this.next();
    if (numeric) {
      if (opToken.type !== "op") this.fail(opToken, "a comparator (=, !=, <, <=, >, >=)");
      const op = normalizeOp(opToken.text) as NumberOp;
      const value = this.number();
      return { kind: "number", entity, key, op, value } as FilterComparison;
    }
    const stringOps = "a comparator (=, !=, LIKE, ILIKE, IN, NOT IN)";
    let negated = false;
    if (isWord(opToken, "NOT")) {
      const inToken = this.next();
      if (!isWord(inToken, "IN")) this.fail(inToken, "IN");
      negated = true;
    }
    if (negated || isWord(opToken, "IN")) {
      const open = this.next();
      if (open.type !== "(") this.fail(open, '"(" and a list of quoted strings');
      const values = [this.string()];
      while (this.peek().type === ",") {
        this.next();
        values.push(this.string());
      }
      const close = this.next();
      if (close.type !== ")") this.fail(close, '"," or ")"');
      return { kind: "in", entity, key, negated, values } as FilterComparison;
    }
    let op: StringOp;
    if (opToken.type === "op") {
      const o = normalizeOp(opToken.text);
      if (o !== "=" && o !== "!=") this.fail(opToken, stringOps);
      op = o;
    } else if (isWord(opToken, "LIKE")) op = "LIKE";
    else if (isWord(opToken, "ILIKE")) op = "ILIKE";
    else this.fail(opToken, stringOps);
    const value = this.string();
    return { kind: "string", entity, key, op, value } as FilterComparison;
  }
}

function normalizeOp(op: string): NumberOp {
  if (op === "==") return "=";
  if (op === "<>") return "!=";
  return op as NumberOp;
}

/** Longest accepted filter, in characters. */
export const MAX_FILTER_LENGTH = 4000;

/** Parses a filter; undefined for an empty one. RunFilterError (INVALID_ARGUMENT) points at the bad token. */
export function parseRunFilter(text: string | undefined): RunFilter | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  if (text.length > MAX_FILTER_LENGTH) {
    throw new RunFilterError(MAX_FILTER_LENGTH, `at most ${MAX_FILTER_LENGTH} characters`, `${text.length}`);
  }
  return new Parser(tokenize(text)).parse();
}

/** A sort key of searchRuns: an attribute, or a run's param, tag or latest metric value. */
export type RunOrderField =
  | { entity: "attribute"; key: RunAttribute }
  | { entity: "metric" | "param" | "tag"; key: string };

export interface RunOrderKey {
  field: RunOrderField;
  descending: boolean;
}

const CLAUSE = /^(.+?)(?:\s+(asc|desc))?$/i;

/**
 * Parses one order_by clause: `metrics.roc_auc DESC`, `params.model`, `start_time`, `attributes.run_name ASC`.
 * Keys with spaces are quoted with backticks (metrics.`val loss`). Undefined when it does not parse.
 */
export function parseRunOrderClause(clause: string): RunOrderKey | undefined {
  const m = CLAUSE.exec(clause.trim());
  if (!m) return undefined;
  const descending = m[2]?.toLowerCase() === "desc";
  const name = (m[1] as string).trim();
  const dot = name.indexOf(".");
  if (dot < 0) {
    const key = ATTRIBUTE_ALIASES[name.toLowerCase()];
    return key ? { field: { entity: "attribute", key }, descending } : undefined;
  }
  const entity = ENTITY_PREFIXES[name.slice(0, dot).toLowerCase()];
  let key = name.slice(dot + 1);
  const quoted = /^([`"])(.+)\1$/.exec(key);
  if (quoted) key = quoted[2] as string;
  if (!entity || key === "") return undefined;
  if (entity === "attribute") {
    const attribute = ATTRIBUTE_ALIASES[key.toLowerCase()];
    return attribute ? { field: { entity, key: attribute }, descending } : undefined;
  }
  return { field: { entity, key }, descending };
}
