// examples/node: an express service. It answers GET / with a line naming
// the Node.js that runs it (Debian's, from the runtime image).
const express = require("express");

const app = express();
const port = Number(process.env.PORT || 8080);

app.get("/", (req, res) => {
  res.type("text/plain").send(`hello from express on node ${process.version}, uid ${process.getuid()}\n`);
});

app.listen(port, () => {
  console.log(`listening on ${port}`);
});

// as a container's first process Node has no default action for SIGTERM:
// without this, podman stop waits its 10 s and kills it
process.on("SIGTERM", () => process.exit(0));
