package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/smdlab/smd/explore"
	"github.com/smdlab/smd/sim"
)

// chromiumPath returns Debian's chromium, or skips the test naming the package.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("skipped: the browser tests need Chromium (Debian package chromium: apt-get install chromium); .ci/run installs it")
	return ""
}

// artifactDir is where the browser tests leave their screenshots:
// $SMD_ARTIFACTS, else $TMPDIR/smd-artifacts.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("SMD_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "smd-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveExplorer runs `smd explore --out DIR --serve=127.0.0.1:0` in this
// process and returns the URL it serves; the server stops with the test.
func serveExplorer(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"explore", "--out", filepath.Join(t.TempDir(), "site"), "--serve=127.0.0.1:0"}, pw, &stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("smd explore exited %d: %s", code, stderr.String())
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("smd explore printed no URL: %v; stderr: %s", err, stderr.String())
	}
	go io.Copy(io.Discard, pr)
	return strings.TrimSpace(line)
}

// browser starts headless Chromium (flags for a closed network) and
// returns its context and the console messages it collects.
func browser(t *testing.T, execPath string) (context.Context, func() []string) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); acancel() })
	var mu sync.Mutex
	var msgs []string
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				mu.Lock()
				msgs = append(msgs, m.String())
				mu.Unlock()
			}
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), msgs...)
	}
}

// waitRuns waits until the page has finished n runs and returns the
// summary element's text, failing on a page error.
func waitRuns(t *testing.T, ctx context.Context, n int) string {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 120*time.Second)
	defer cancel()
	pred := fmt.Sprintf(`(document.body.dataset.runs === "%d" && document.body.dataset.state === "done") || document.getElementById("status").className === "error"`, n)
	if _, err := chromedp.Run(cctx, chromedp.Poll[bool](pred, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(110*time.Second))); err != nil {
		t.Fatalf("waiting for run %d: %v", n, err)
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status").className + ": " + document.getElementById("status").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(st, "error") {
		t.Fatalf("the page reports %s", st)
	}
	sum, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#summary")))
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// link returns the bytes behind a download link (a blob: URL).
func link(t *testing.T, ctx context.Context, id string) []byte {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`fetch(document.getElementById("`+id+`").href).then(r => r.text())`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("reading the %s link: %v", id, err)
	}
	return []byte(s)
}

var summaryRe = regexp.MustCompile(`final_step=\S+ final_risk=\S+ final_au_rms=\S+`)

// simulateCLI runs `smd simulate` with args and returns series.csv and
// the summary text of its closing log line.
func simulateCLI(t *testing.T, args ...string) ([]byte, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "sim")
	code, _, stderr := runCLI(t, append([]string{"simulate", "--out", out}, args...)...)
	if code != 0 {
		t.Fatalf("smd simulate %v: exit %d: %s", args, code, stderr)
	}
	csv := readFile(t, filepath.Join(out, "series.csv"))
	return csv, summaryRe.FindString(stderr)
}

// setInput types value into the page's input name and fires its change
// event, as a user leaving the field does.
func setInput(name, value string) []chromedp.Action[chromedp.Void] {
	sel := `input[name="` + name + `"]`
	return []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS(sel), value),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('` + sel + `').dispatchEvent(new Event("change", {bubbles: true}))`),
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(artifactDir(t), name)
	writeFile(t, path, png)
	t.Logf("screenshot: %s (look at it when you change the page)", path)
}

// The explorer in real Chromium, against `smd explore --serve`: it loads
// without console errors and runs the embedded example once; its exported
// series.csv and its summary equal `smd simulate`'s for the config its
// "Download config" link gives, and that config is the embedded example
// with the reduced engine; a changed control reruns, lands in the URL, and
// the URL restores the view; a pinned run survives in the URL. Screenshots
// at desktop and phone width are left in artifactDir.
func TestExploreBrowser(t *testing.T) {
	chrome := chromiumPath(t)
	start := time.Now()
	base := serveExplorer(t)
	t.Logf("smd explore wrote and served the site in %v", time.Since(start).Round(time.Millisecond))
	ctx, consoleErrs := browser(t, chrome)
	if err := chromedp.Do(ctx, chromedp.Navigate(base)); err != nil {
		t.Fatal(err)
	}

	// 1. The default view: the embedded example, once, equal to the CLI.
	sum := waitRuns(t, ctx, 1)
	pageCSV, pageYAML := link(t, ctx, "export-csv"), link(t, ctx, "download-config")
	cfg := filepath.Join(t.TempDir(), "explore.yaml")
	writeFile(t, cfg, pageYAML)
	cliCSV, cliSum := simulateCLI(t, "--config", cfg)
	if !bytes.Equal(pageCSV, cliCSV) {
		t.Errorf("the page's series.csv (%d bytes) differs from smd simulate's (%d bytes) for its own config:\n%s", len(pageCSV), len(cliCSV), firstDiff(pageCSV, cliCSV))
	}
	if sum != cliSum || sum == "" {
		t.Errorf("summary: page %q, smd simulate %q", sum, cliSum)
	}
	exCSV, _ := simulateCLI(t, "--method", "reduced") // the embedded example itself
	if !bytes.Equal(pageCSV, exCSV) {
		t.Errorf("the default view is not the embedded example run with the reduced engine:\n%s", firstDiff(pageCSV, exCSV))
	}
	engine, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#engine")))
	if err != nil || engine != "reduced (auto)" {
		t.Errorf("engine shown: %q, %v; want %q", engine, err, "reduced (auto)")
	}
	speed, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#speed")))
	if err != nil || !strings.Contains(speed, "trial-steps/s") || !strings.Contains(speed, "native") {
		t.Errorf("speed line: %q, %v", speed, err)
	}
	t.Logf("%s", speed)
	screenshot(t, ctx, "explore-desktop.png")

	// 2. Change a control (λ): it reruns, the URL holds it, and the rerun
	// equals the CLI on the new config.
	if err := chromedp.Do(ctx, setInput("lambda", "0.004")...); err != nil {
		t.Fatal(err)
	}
	sum2 := waitRuns(t, ctx, 2)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Query().Get("lambda") != "0.004" {
		t.Fatalf("URL after changing λ: %s", loc)
	}
	y2 := link(t, ctx, "download-config")
	if !bytes.Contains(y2, []byte("\nlambda: 0.004\n")) {
		t.Errorf("config after changing λ:\n%s", y2)
	}
	writeFile(t, cfg, y2)
	cliCSV2, cliSum2 := simulateCLI(t, "--config", cfg)
	if csv2 := link(t, ctx, "export-csv"); !bytes.Equal(csv2, cliCSV2) || sum2 != cliSum2 || sum2 == sum {
		t.Errorf("after changing λ: summary %q (before %q), smd simulate %q; csv equal: %v", sum2, sum, cliSum2, bytes.Equal(csv2, cliCSV2))
	}

	// The rows arrived while the run ran (the panels update as it goes).
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.streamed`)); err != nil || n != "201" {
		t.Errorf("rows streamed during the run: %q, %v; want 201", n, err)
	}

	// Bad input: λη ≥ 1 is one message naming the key, and nothing runs;
	// going back reruns to the same numbers.
	setLambda := func(v string) {
		t.Helper()
		if err := chromedp.Do(ctx, setInput("lambda", v)...); err != nil {
			t.Fatal(err)
		}
	}
	setLambda("20")
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("status").className === "error" && document.getElementById("status").textContent`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil || !strings.Contains(msg, "lambda:") || !strings.Contains(msg, "must be < 1") {
		t.Errorf("λ = 20: status %q, %v; want an error naming lambda", msg, err)
	}
	setLambda("0.004")
	if again := waitRuns(t, ctx, 3); again != sum2 {
		t.Errorf("rerun of the same view: summary %q, want %q", again, sum2)
	}
	if sp, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#browser-speed"))); err == nil {
		t.Logf("third run (the engine warm in the browser's JIT): %s trial-steps/s", sp)
	}

	// 3. Pin it, change the seed: the URL holds both views; opening it
	// restores the controls, the pinned run and the same numbers.
	if err := chromedp.Do(ctx, append([]chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS("#pin"))}, setInput("seed", "7")...)...); err != nil {
		t.Fatal(err)
	}
	sum3 := waitRuns(t, ctx, 4)
	loc3, _ := chromedp.Run(ctx, chromedp.Location())
	u3, _ := url.Parse(loc3)
	if pin := u3.Query().Get("pin"); !strings.Contains(pin, "lambda=0.004") || !strings.Contains(pin, "seed=1") || u3.Query().Get("seed") != "7" {
		t.Fatalf("URL after pinning and changing the seed: %s", loc3)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(loc3)); err != nil {
		t.Fatal(err)
	}
	if got := waitRuns(t, ctx, 1); got != sum3 {
		t.Errorf("reopened URL: summary %q, want %q", got, sum3)
	}
	vals, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.querySelector('input[name="lambda"]').value, document.querySelector('input[name="seed"]').value, document.getElementById("legend").textContent, location.search]`))
	if err != nil || vals[0] != "0.004" || vals[1] != "7" || !strings.Contains(vals[2], "pinned run") || "?"+u3.RawQuery != vals[3] {
		t.Errorf("reopened URL: λ, seed, legend, query = %q, %v; want 0.004, 7, a pinned run, ?%s", vals, err, u3.RawQuery)
	}
	screenshot(t, ctx, "explore-pinned.png")

	// 4. Phone width.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || overflow {
		t.Errorf("the page scrolls sideways at 390 px (%v)", err)
	}
	screenshot(t, ctx, "explore-phone.png")

	if msgs := consoleErrs(); len(msgs) > 0 {
		t.Errorf("console errors or warnings:\n%s", strings.Join(msgs, "\n"))
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}

func firstDiff(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := range max(len(la), len(lb)) {
		var x, y []byte
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if !bytes.Equal(x, y) {
			return fmt.Sprintf("line %d:\n  page: %s\n  cli:  %s", i+1, x, y)
		}
	}
	return "equal"
}

// Bad --serve addresses are bad input (exit 2, one line) and write nothing.
func TestExploreBadServe(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8080", "example.com:80", "8080"} {
		out := filepath.Join(t.TempDir(), "site")
		code, _, stderr := runCLI(t, "explore", "--out", out, "--serve="+addr)
		if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "--serve") {
			t.Errorf("--serve=%s: exit %d, stderr %q; want exit 2 and one line naming --serve", addr, code, stderr)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("--serve=%s wrote %s", addr, out)
		}
	}
}

// The page's run path (package explore, what smd.wasm calls) equals smd
// simulate natively, byte for byte, on a short default view, and streams
// every row before it ends.
func TestExploreRunEqualsSimulate(t *testing.T) {
	st := explore.Default()
	st.Steps, st.Trials, st.DecayStep = 600, 10, 300
	y, _, err := st.Config()
	if err != nil {
		t.Fatal(err)
	}
	var streamed []sim.Row
	out, err := explore.Run(context.Background(), y, func(r sim.Row) { streamed = append(streamed, r) })
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "explore.yaml")
	writeFile(t, cfg, y)
	csv, sum := simulateCLI(t, "--config", cfg)
	if !bytes.Equal(out.CSV, csv) || out.Summary != sum || out.Method != "reduced" {
		t.Errorf("explore.Run: method %s, summary %q, csv equal %v; smd simulate: summary %q", out.Method, out.Summary, bytes.Equal(out.CSV, csv), sum)
	}
	if !reflect.DeepEqual(streamed, out.Rows) {
		t.Errorf("streamed %d rows, result has %d (or they differ)", len(streamed), len(out.Rows))
	}
}

// A site that cannot be written (here: interrupted at the wasm build)
// leaves no directory behind.
func TestExploreNothingWrittenOnFailure(t *testing.T) {
	out := filepath.Join(t.TempDir(), "site")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the wasm build fails at once: interrupted
	if err := explore.WriteSite(ctx, out); err == nil {
		t.Fatal("WriteSite with a cancelled context succeeded")
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed WriteSite left %s behind", out)
	}
}
