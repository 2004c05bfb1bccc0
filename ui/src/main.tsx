// The web UI's entry: the routes under /ui (each a deep link the server answers with index.html),
// the header and the token dialog.
import { render } from "preact";
import { Link, Redirect, Route, Router, Switch } from "wouter-preact";
import { TokenDialog } from "./components.js";
import { ComparePage } from "./pages/compare.js";
import { ExperimentsPage } from "./pages/experiments.js";
import { ModelPage } from "./pages/model.js";
import { ModelsPage } from "./pages/models.js";
import { RunPage } from "./pages/run.js";
import { RunsPage } from "./pages/runs.js";
import { ServingPage } from "./pages/serving.js";
import { VersionPage } from "./pages/version.js";
import "./styles.css";

function Nav() {
  const item = (href: string, label: string) => (
    <Link href={href} className={(active: boolean) => (active ? "active" : "")}>
      {label}
    </Link>
  );
  return (
    <header class="top">
      <a class="brand" href="/ui/">
        mlops
      </a>
      <nav aria-label="Main">
        {item("/experiments", "Experiments")}
        {item("/models", "Models")}
        {item("/serving", "Serving")}
        <a href="/docs">API docs</a>
      </nav>
    </header>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link href="/experiments">Go to the experiments</Link>
      </p>
    </section>
  );
}

function App() {
  return (
    <Router base="/ui">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Nav />
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/">
            <Redirect to="/experiments" replace />
          </Route>
          <Route path="/experiments" component={ExperimentsPage} />
          <Route path="/experiments/:ids">{(p) => <RunsPage ids={decodeURIComponent(p.ids)} />}</Route>
          <Route path="/runs/:id">{(p) => <RunPage id={p.id} />}</Route>
          <Route path="/compare" component={ComparePage} />
          <Route path="/models" component={ModelsPage} />
          <Route path="/models/:name">{(p) => <ModelPage name={decodeURIComponent(p.name)} />}</Route>
          <Route path="/models/:name/versions/:version">
            {(p) => <VersionPage name={decodeURIComponent(p.name)} version={p.version} />}
          </Route>
          <Route path="/serving" component={ServingPage} />
          <Route component={NotFound} />
        </Switch>
      </main>
      <TokenDialog />
    </Router>
  );
}

render(<App />, document.getElementById("app") as HTMLElement);
