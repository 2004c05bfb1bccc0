import type { DescMessage } from "@bufbuild/protobuf";
import { invalidArgument, ServiceError } from "../../rpc/service-error.js";
import { enumChoices } from "../../services/mapping/enum-spelling.js";

/**
 * protobuf-es's JSON decode errors → INVALID_ARGUMENT naming the offending field as the services
 * do (`features[0]`, not protobuf-es's 1-based "list item #1"), so a client learns which key to fix.
 * The one reading of those errors, for REST and Connect alike (Connect sees only the message).
 */
export function decodeError(input: DescMessage, err: unknown): ServiceError {
  const message = (err as Error)?.message ?? String(err);
  const byField =
    /cannot decode field [\w.]+\.(\w+) from JSON: (?:list item #(\d+): |map entry ("(?:[^"\\]|\\.)*"): )?(.*)$/s.exec(
      message,
    );
  if (byField) {
    const [, name, item, entry, reason] = byField as unknown as [
      string,
      string,
      string | undefined,
      string | undefined,
      string,
    ];
    let field = input.fields.find((f) => f.name === name)?.jsonName ?? name;
    if (item !== undefined) field += `[${Number(item) - 1}]`;
    if (entry !== undefined) field += `[${unquote(entry)}]`;
    const expectedGot = /^expected (.+?), got (.+)$/s.exec(reason);
    if (expectedGot) return invalidArgument(field, expectedGot[1]!, expectedGot[2]); // both groups match
    return new ServiceError("INVALID_ARGUMENT", `${field}: ${reason}`, {
      violation: { field, expected: reason },
    });
  }
  const unknownKey = /key "([^"]+)" is unknown/.exec(message);
  if (unknownKey) {
    const field = unknownKey[1]!;
    const expected = `one of the fields of ${input.typeName}: ${input.fields.map((f) => f.jsonName).join(", ")}`;
    return new ServiceError("INVALID_ARGUMENT", `${field}: ${message}`, { violation: { field, expected } });
  }
  const badEnum = /cannot decode enum ([\w.]+) from JSON/.exec(message);
  const f = badEnum && input.fields.find((x) => x.enum?.typeName === badEnum[1]);
  if (f?.enum) {
    return new ServiceError("INVALID_ARGUMENT", `${f.jsonName}: ${message}`, {
      violation: { field: f.jsonName, expected: enumChoices(f.enum) },
    });
  }
  return new ServiceError("INVALID_ARGUMENT", `body: ${message}`, {
    violation: { field: "body", expected: `a ${input.typeName} in proto3 JSON` },
  });
}

/**
 * A map key as protobuf-es quotes it in its messages: in double quotes, only `"` escaped (a
 * backslash is left as is, so the text is not always valid JSON).
 */
function unquote(quoted: string): string {
  return quoted.slice(1, -1).split('\\"').join('"');
}
