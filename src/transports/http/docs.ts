import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ServiceError } from "../../rpc/service-error.js";
import type { OwnRoute, TemplateRoute } from "./routes.js";
import { staticFiles, staticPage } from "./static.js";

/** openapi/openapi.json, written by `npm run gen`; the same relative path from src/ and dist/. */
export const OPENAPI_PATH = fileURLToPath(new URL("../../../openapi/openapi.json", import.meta.url));

const ASSETS = "/docs/assets";

/**
 * The pages may load nothing from elsewhere: the browser enforces it (ReDoc's footer logo, the one
 * remote URL in its bundle, is refused and the logo hides itself), and "Try it out" can only call
 * this server.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
].join("; ");

const SWAGGER_INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
  tryItOutEnabled: false,
});
`;

const page = (title: string, head: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" type="image/png" href="${ASSETS}/favicon-32x32.png">
${head}
</head>
<body>
${body}
</body>
</html>
`;

const SWAGGER_PAGE = page(
  "mlops API — Swagger UI",
  `<link rel="stylesheet" href="${ASSETS}/swagger-ui.css">`,
  `<div id="swagger-ui"></div>
<script src="${ASSETS}/swagger-ui-bundle.js"></script>
<script src="${ASSETS}/swagger-init.js"></script>`,
);

const REDOC_PAGE = page(
  "mlops API — ReDoc",
  "<style>body { margin: 0; padding: 0; }</style>",
  `<redoc spec-url="/openapi.json"></redoc>
<script src="${ASSETS}/redoc.standalone.js"></script>`,
);

function unavailable(path: string, message: string): TemplateRoute {
  const route: OwnRoute = {
    kind: "own",
    verb: "GET",
    endpoint: path,
    answer: () => {
      throw new ServiceError("UNAVAILABLE", message);
    },
  };
  return { template: path, route };
}

/** Where an installed package lives (both packages are plain file trees, no code runs here). */
function packageDir(name: string): string {
  return dirname(fileURLToPath(import.meta.resolve(`${name}/package.json`)));
}

export interface DocsOptions {
  /** The OpenAPI document served at /openapi.json. Default OPENAPI_PATH. */
  openapiPath?: string;
}

/**
 * `/openapi.json`, Swagger UI at `/docs` and ReDoc at `/redoc`, every asset from the installed
 * swagger-ui-dist and redoc packages: nothing is fetched from elsewhere, so the pages work offline.
 */
export function docsRoutes(options: DocsOptions = {}): TemplateRoute[] {
  const path = options.openapiPath ?? OPENAPI_PATH;
  let spec: Buffer | undefined;
  try {
    spec = readFileSync(path);
  } catch {
    // Serving goes on without the docs; the route says what is missing.
  }
  const swagger = packageDir("swagger-ui-dist");
  const redoc = packageDir("redoc");
  return [
    spec
      ? staticPage("/openapi.json", spec, "application/json")
      : unavailable("/openapi.json", `${path} is missing: run \`npm run gen\``),
    staticPage("/docs", SWAGGER_PAGE, "text/html; charset=utf-8", { "content-security-policy": CSP }),
    staticPage("/redoc", REDOC_PAGE, "text/html; charset=utf-8", { "content-security-policy": CSP }),
    staticPage(`${ASSETS}/swagger-init.js`, SWAGGER_INIT, "text/javascript; charset=utf-8"),
    staticFiles({
      template: `${ASSETS}/{file}`,
      files: {
        "swagger-ui.css": join(swagger, "swagger-ui.css"),
        "swagger-ui-bundle.js": join(swagger, "swagger-ui-bundle.js"),
        "favicon-32x32.png": join(swagger, "favicon-32x32.png"),
        "redoc.standalone.js": join(redoc, "bundles/redoc.standalone.js"),
      },
    }),
  ];
}
