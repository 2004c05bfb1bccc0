import {
  create,
  type DescField,
  type DescMessage,
  fromBinary,
  fromJson,
  fromJsonString,
  type JsonValue,
  type MessageShape,
  ScalarType,
} from "@bufbuild/protobuf";
import { ServiceError } from "../../rpc/service-error.js";
import { normalizeEnumSpellings, reachesEnum } from "../../services/mapping/enum-spelling.js";
import { decodeError } from "./decode-error.js";

/** connect-es's JSON default: unknown keys are ignored (proto3 JSON would refuse them). */
const JSON_OPTIONS = { ignoreUnknownFields: true } as const;
const utf8 = new TextDecoder();

/** Errors answered with the house's error JSON (`field`, `expected`), not Connect's bare one. */
const NAMED = new WeakSet<ServiceError>();

export function named<E extends ServiceError>(err: E): E {
  NAMED.add(err);
  return err;
}

export function isNamed(err: ServiceError): boolean {
  return NAMED.has(err);
}

/** A Connect request's decoder: bytes in either format, or a JSON body already read as text. */
export interface ConnectDecoder<D extends DescMessage> {
  (bytes: Uint8Array, binary: boolean): MessageShape<D>;
  (text: string, binary: false): MessageShape<D>;
}

/**
 * A Connect unary request body (JSON or binary) → `input`'s message, as connect-node decodes it
 * (protobuf-es, unknown JSON keys ignored), with enum values spelled as REST takes them, and every
 * failure INVALID_ARGUMENT naming the field as REST does (`features[1]`). `body` is the bytes, or a
 * JSON body's text as Buffer's UTF-8 decoding reads it (what REST's body reader gives).
 */
export function createConnectDecoder<D extends DescMessage>(input: D): ConnectDecoder<D> {
  const enums = reachesEnum(input);
  const quick = quickReader(input);
  return (body: Uint8Array | string, binary: boolean) => {
    if (binary) {
      const bytes = body as Uint8Array; // the signatures take text only for JSON
      try {
        return fromBinary(input, bytes);
      } catch (e) {
        // connect-node answers internal here; a body the client got wrong is invalid_argument.
        const expected = `a ${input.typeName} in protobuf's binary format`;
        const message = `body: ${(e as Error)?.message ?? String(e)}`;
        throw named(
          new ServiceError("INVALID_ARGUMENT", message, { violation: { field: "body", expected } }),
        );
      }
    }
    // Text read by Buffer's UTF-8 decoding keeps a leading BOM, which TextDecoder drops.
    const text =
      typeof body !== "string" ? utf8.decode(body) : body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
    try {
      if (!enums) return fromFlatJson(input, text, quick) ?? fromJsonString(input, text, JSON_OPTIONS);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return fromJsonString(input, text, JSON_OPTIONS); // protobuf-es reports malformed JSON
      }
      normalizeEnumSpellings(input, json);
      return fromJson(input, json as JsonValue, JSON_OPTIONS);
    } catch (e) {
      if (e instanceof ServiceError) throw e;
      // As connect.ts's refused path: protobuf-es's decode errors name the field as REST does.
      const message = (e as Error)?.message ?? String(e);
      if (message.startsWith("cannot decode ")) throw named(decodeError(input, e));
      throw new ServiceError("INVALID_ARGUMENT", message, { cause: e });
    }
  };
}

/**
 * fromJsonString's result for a flat JSON object (no object below the top one: Predict's body), or
 * undefined to leave the text to it. fromJsonString is JSON.parse, a scan of the whole text for
 * duplicate keys (a Set per object) and fromJson. In a flat object every `:` outside a string
 * separates a top-level member, so there is no duplicate key when those colons are as many as
 * JSON.parse's keys; anything else (malformed, nested, a duplicate) goes to fromJsonString,
 * which answers as before.
 */
function fromFlatJson<D extends DescMessage>(
  input: D,
  text: string,
  quick: QuickReader<D>,
): MessageShape<D> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  let members = 0;
  for (const key in json) {
    members++;
    const v = (json as Record<string, unknown>)[key];
    if (typeof v !== "object" || v === null) continue;
    if (!Array.isArray(v)) return undefined;
    for (let i = 0; i < v.length; i++) if (typeof v[i] === "object" && v[i] !== null) return undefined;
  }
  // One colon in the whole text is one member (the common one-key body), without the scan.
  const oneColon = members === 1 && text.indexOf(":", text.indexOf(":") + 1) === -1;
  if (!oneColon && colonsOutsideStrings(text) !== members) return undefined;
  return quick(json as Record<string, unknown>) ?? fromJson(input, json as JsonValue, JSON_OPTIONS);
}

type QuickReader<D extends DescMessage> = (json: Record<string, unknown>) => MessageShape<D> | undefined;

/**
 * fromJson's result for a parsed object whose known keys all name repeated double fields holding
 * finite numbers (Predict's `{"features": [...]}`; one such key at most), or undefined to leave it to fromJson: such a
 * value is read by fromJson as the same numbers, and unknown keys are ignored there too. Strings
 * (a UTF-8 check), nulls, the special doubles' strings and a field named twice (by its proto and
 * its JSON name) all go to fromJson, which answers as before.
 */
function quickReader<D extends DescMessage>(input: D): QuickReader<D> {
  const known = new Set<string>();
  const doubles = new Map<string, DescField>();
  for (const field of input.fields) {
    known.add(field.name).add(field.jsonName);
    if (field.fieldKind === "list" && field.listKind === "scalar" && field.scalar === ScalarType.DOUBLE) {
      doubles.set(field.name, field).set(field.jsonName, field);
    }
  }
  if (doubles.size === 0) return () => undefined;
  return (json) => {
    const message = create(input) as Record<string, unknown>;
    let seen = false;
    for (const key in json) {
      const field = doubles.get(key);
      if (field === undefined) {
        if (known.has(key)) return undefined;
        continue;
      }
      const v = json[key];
      // A second list (or the same field by its other name) is left to fromJson's rules.
      if (!Array.isArray(v) || seen) return undefined;
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return undefined;
      message[field.localName] = v;
      seen = true;
    }
    return message as MessageShape<D>;
  };
}

/** The `:` of a JSON text that are not inside a string literal. */
function colonsOutsideStrings(text: string): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 58) n++;
  }
  return n;
}
