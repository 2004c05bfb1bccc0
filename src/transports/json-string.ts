/**
 * JSON.stringify of a string, remembering the last few: the hand-written replies' model names and
 * versions repeat on every request.
 */
const jsonStrings = new Map<string, string>();
export function jsonString(s: string): string {
  let json = jsonStrings.get(s);
  if (json === undefined) {
    if (jsonStrings.size >= 64) jsonStrings.clear();
    json = JSON.stringify(s);
    jsonStrings.set(s, json);
  }
  return json;
}
