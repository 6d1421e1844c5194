// The engine's Web Worker: runs smd.wasm (package explore/wasm) off the
// page's thread. Messages in: {type: "init", module} once, then
// {type: "config", id, query} and {type: "run", id, yaml}. Out: "ready",
// "config", "theory", "row" (each recorded row while the run runs), "done".
importScripts("wasm_exec.js");
let ready = null;
onmessage = async (e) => {
  const m = e.data;
  if (m.type === "init") {
    const go = new Go();
    ready = WebAssembly.instantiate(m.module, go.importObject).then((inst) => { go.run(inst); });
    try {
      await ready;
      postMessage({ type: "ready", version: smd.version, columns: smd.columns });
    } catch (err) {
      postMessage({ type: "fatal", error: String(err) });
    }
    return;
  }
  await ready;
  if (m.type === "config") {
    postMessage({ type: "config", id: m.id, result: smd.config(m.query) });
  } else if (m.type === "run") {
    const result = smd.run(m.yaml,
      (row) => postMessage({ type: "row", id: m.id, row }),
      (theory) => postMessage({ type: "theory", id: m.id, theory }));
    postMessage({ type: "done", id: m.id, result });
  }
};
