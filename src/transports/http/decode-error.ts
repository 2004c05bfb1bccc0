import type { DescMessage } from "@bufbuild/protobuf";
import { ServiceError } from "../../rpc/service-error.js";

/**
 * protobuf-es's JSON decode errors → INVALID_ARGUMENT naming the offending field (not "body"), so a
 * REST client learns which key to fix. The message is protobuf-es's own, which says what it got.
 */
export function decodeError(input: DescMessage, err: unknown): ServiceError {
  const message = (err as Error)?.message ?? String(err);
  let field = "body";
  let expected = `a ${input.typeName} in proto3 JSON`;
  const byField =
    /cannot decode field [\w.]+\.(\w+) from JSON: (?:list item #\d+: )?(?:expected ([^,]+))?/.exec(message);
  const unknownKey = /key "([^"]+)" is unknown/.exec(message);
  const badEnum = /cannot decode enum ([\w.]+) from JSON/.exec(message);
  if (byField) {
    field = byField[1]!; // group 1 is not optional
    if (byField[2]) expected = byField[2];
  } else if (unknownKey) {
    field = unknownKey[1]!;
    expected = `one of the fields of ${input.typeName}: ${input.fields.map((f) => f.jsonName).join(", ")}`;
  } else if (badEnum) {
    const f = input.fields.find((x) => x.enum?.typeName === badEnum[1]);
    if (f) {
      field = f.jsonName;
      expected = `one of ${f.enum?.values.map((v) => v.name).join(", ")} (or its number)`;
    }
  }
  return new ServiceError("INVALID_ARGUMENT", `${field}: ${message}`, { violation: { field, expected } });
}
