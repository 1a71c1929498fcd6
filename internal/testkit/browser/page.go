package browser

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// maxConsole bounds the console messages a page keeps; older ones are
// dropped (and counted) first.
const maxConsole = 1000

// Page is a browser tab, attached to its own DevTools session.
//
// From the moment it is created, a page records its console messages
// (console.log and friends, and the browser's own log entries such as
// failed requests) and uncaught exceptions; Err turns them into a test
// failure.
type Page struct {
	b         *Browser
	targetID  string
	sessionID string

	mu         sync.Mutex
	console    []ConsoleMessage
	dropped    int
	exceptions []Exception
	crashed    bool

	detachOnce sync.Once
	detached   chan struct{}
}

// ConsoleMessage is a line of the page's console.
type ConsoleMessage struct {
	// Source is "console" for calls of the console API, else where the
	// browser's own entry came from: "network", "javascript", "security",
	// "violation", …
	Source string
	// Level is the console API's method ("log", "info", "warning",
	// "error", "debug", "assert", …) or the log entry's level ("verbose",
	// "info", "warning", "error").
	Level string
	Text  string
	URL   string
	Line  int // 1-based; 0 if unknown
}

func (m ConsoleMessage) String() string {
	s := m.Source + "." + m.Level + ": " + m.Text
	if m.URL != "" {
		s += fmt.Sprintf(" (%s:%d)", m.URL, m.Line)
	}
	return s
}

// Exception is an exception the page did not catch.
type Exception struct {
	// Text is the exception's description, with its stack when the page
	// has one: "Error: boom\n    at f (http://…/app.js:3:9)".
	Text   string
	URL    string
	Line   int // 1-based; 0 if unknown
	Column int // 1-based; 0 if unknown
}

func (e Exception) String() string {
	if e.URL == "" {
		return e.Text
	}
	return fmt.Sprintf("%s (%s:%d:%d)", e.Text, e.URL, e.Line, e.Column)
}

// NewPage opens a blank tab and attaches to it.
func (b *Browser) NewPage(ctx context.Context) (*Page, error) {
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		b.closeTarget(created.TargetID)
		return nil, err
	}
	p := &Page{b: b, targetID: created.TargetID, sessionID: attached.SessionID, detached: make(chan struct{})}
	b.mu.Lock()
	b.pages[p.sessionID] = p
	b.mu.Unlock()
	for _, c := range []struct {
		method string
		params any
	}{
		{"Page.enable", nil},
		{"Page.setLifecycleEventsEnabled", map[string]any{"enabled": true}},
		{"Runtime.enable", nil},
		{"Log.enable", nil},
		{"Inspector.enable", nil},
		// Act as the focused window, so that focus and key events behave
		// as they do for a person.
		{"Emulation.setFocusEmulationEnabled", map[string]any{"enabled": true}},
	} {
		if err := p.call(ctx, c.method, c.params, nil); err != nil {
			p.Close(context.WithoutCancel(ctx))
			return nil, err
		}
	}
	return p, nil
}

func (b *Browser) closeTarget(targetID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return b.call(ctx, "", "Target.closeTarget", map[string]any{"targetId": targetID}, nil)
}

// Close closes the tab. Calls on the page fail afterwards.
func (p *Page) Close(ctx context.Context) error {
	err := p.b.call(ctx, "", "Target.closeTarget", map[string]any{"targetId": p.targetID}, nil)
	p.b.mu.Lock()
	delete(p.b.pages, p.sessionID)
	p.b.mu.Unlock()
	p.markDetached()
	return err
}

// call sends a command to the page's session.
func (p *Page) call(ctx context.Context, method string, params, result any) error {
	select {
	case <-p.detached:
		return fmt.Errorf("browser: %s: the page was closed or crashed", method)
	default:
	}
	return p.b.call(ctx, p.sessionID, method, params, result)
}

func (p *Page) markDetached() {
	p.detachOnce.Do(func() { close(p.detached) })
}

func (p *Page) subscribe(method string, size int, filter func(json.RawMessage) bool) *subscription {
	return p.b.subscribe(p.sessionID, method, size, filter)
}

// await waits for an event of a subscription, the page going away, or ctx.
func (p *Page) await(ctx context.Context, s *subscription, what string) (json.RawMessage, error) {
	select {
	case params := <-s.ch:
		return params, nil
	case <-p.detached:
		return nil, fmt.Errorf("browser: waiting for %s: the page was closed or crashed", what)
	case <-ctx.Done():
		return nil, fmt.Errorf("browser: waiting for %s: %w", what, ctx.Err())
	}
}

// Navigate loads url in the page and waits for its load event. A
// navigation within the document (only the fragment changes) returns at
// once. It fails when the page cannot be loaded at all (connection refused,
// bad URL); an HTTP error status still loads a page and is not an error.
func (p *Page) Navigate(ctx context.Context, url string) error {
	loads := p.subscribe("Page.lifecycleEvent", 16, func(params json.RawMessage) bool {
		var ev struct {
			Name string `json:"name"`
		}
		return json.Unmarshal(params, &ev) == nil && ev.Name == "load"
	})
	defer p.b.unsubscribe(loads)
	var r struct {
		LoaderID  string `json:"loaderId"`
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &r); err != nil {
		return err
	}
	if r.ErrorText != "" {
		return fmt.Errorf("browser: navigate to %s: %s", url, r.ErrorText)
	}
	if r.LoaderID == "" {
		return nil // same document
	}
	for {
		params, err := p.await(ctx, loads, "the load event of "+url)
		if err != nil {
			return err
		}
		var ev struct {
			LoaderID string `json:"loaderId"`
		}
		if json.Unmarshal(params, &ev) == nil && ev.LoaderID == r.LoaderID {
			return nil
		}
	}
}

// remoteObject is the part of CDP's Runtime.RemoteObject used here.
type remoteObject struct {
	Type                string          `json:"type"`
	Subtype             string          `json:"subtype"`
	Value               json.RawMessage `json:"value"`
	UnserializableValue string          `json:"unserializableValue"`
	Description         string          `json:"description"`
}

// exceptionDetails is CDP's Runtime.ExceptionDetails.
type exceptionDetails struct {
	Text         string        `json:"text"`
	LineNumber   int           `json:"lineNumber"`
	ColumnNumber int           `json:"columnNumber"`
	URL          string        `json:"url"`
	Exception    *remoteObject `json:"exception"`
}

func (d *exceptionDetails) exception() Exception {
	e := Exception{Text: d.Text, URL: d.URL}
	if d.Exception != nil {
		switch {
		case d.Exception.Description != "":
			e.Text = d.Exception.Description
		case len(d.Exception.Value) > 0:
			e.Text = d.Text + " " + string(d.Exception.Value)
		}
	}
	if d.URL != "" {
		e.Line, e.Column = d.LineNumber+1, d.ColumnNumber+1
	}
	return e
}

// EvalError is an exception thrown (or a promise rejected) by the
// JavaScript that Eval ran.
type EvalError struct {
	JS        string // the expression, shortened
	Exception Exception
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("browser: eval %s: %s", e.JS, e.Exception.Text)
}

// Eval evaluates the JavaScript expression js in the page's main frame,
// awaits it if it is a promise, and decodes its value, as JSON, into out
// (unless out is nil). undefined decodes as null. An exception, or a
// rejected promise, is returned as an *EvalError.
//
// The value must survive JSON: a DOM node comes back as {}, and NaN or
// Infinity is an error.
func (p *Page) Eval(ctx context.Context, js string, out any) error {
	var r struct {
		Result           remoteObject      `json:"result"`
		ExceptionDetails *exceptionDetails `json:"exceptionDetails"`
	}
	err := p.call(ctx, "Runtime.evaluate", map[string]any{
		"expression":    js,
		"awaitPromise":  true,
		"returnByValue": true,
		"userGesture":   true,
	}, &r)
	if err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return &EvalError{JS: shorten(js), Exception: r.ExceptionDetails.exception()}
	}
	if out == nil {
		return nil
	}
	raw := r.Result.Value
	if len(raw) == 0 {
		if r.Result.UnserializableValue != "" {
			return fmt.Errorf("browser: eval %s: the value %s has no JSON form", shorten(js), r.Result.UnserializableValue)
		}
		raw = json.RawMessage("null")
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("browser: eval %s: decode %s into %T: %w", shorten(js), shorten(string(raw)), out, err)
	}
	return nil
}

// waitMargin is how much earlier than a deadline that is d away the
// in-page waiter gives up, so that its description of the last value
// arrives before the deadline, even on a busy machine.
func waitMargin(d time.Duration) time.Duration {
	return min(max(d/3, 50*time.Millisecond), 2*time.Second)
}

// WaitFor waits until the JavaScript expression cond is truthy in the page.
// cond may also produce a promise, which is awaited. The waiting happens in
// the page: a waiter evaluates cond, then again after each 10 ms timer, and
// answers as soon as it holds. An exception thrown by cond ends the wait
// with an *EvalError. When ctx has a deadline, the waiter stops a little
// before it and the error quotes cond's last value.
//
// A navigation that replaces the document while waiting does not end the
// wait: it starts again in the new document. Without a deadline on ctx, a
// cancelled wait leaves its waiter running in the page until cond holds or
// the document goes away.
func (p *Page) WaitFor(ctx context.Context, cond string) error {
	limit := int64(0) // no limit in the page; ctx alone ends the wait
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d)
		limit = max(int64((left-waitMargin(left))/time.Millisecond), 1)
	}
	js := fmt.Sprintf(`(async () => {
	const cond = () => (
%s
	);
	const limit = %d, start = performance.now();
	for (;;) {
		const v = await cond();
		if (v) return true;
		if (limit > 0 && performance.now() - start >= limit) {
			let s;
			try { s = JSON.stringify(v); } catch { s = String(v); }
			throw new Error("timed out after " + limit + " ms; the condition was " + (s === undefined ? String(v) : s));
		}
		await new Promise(resolve => setTimeout(resolve, 10));
	}
})()`, cond, limit)
	for {
		contexts := p.subscribe("Runtime.executionContextCreated", 1, nil)
		err := p.Eval(ctx, js, nil)
		if err == nil || !contextGone(err) {
			p.b.unsubscribe(contexts)
			if ee := (*EvalError)(nil); errors.As(err, &ee) {
				ee.JS = "WaitFor(" + shorten(cond) + ")"
			}
			return err
		}
		// The document went away under the waiter; wait in the next one.
		_, err = p.await(ctx, contexts, "a new document")
		p.b.unsubscribe(contexts)
		if err != nil {
			return fmt.Errorf("browser: WaitFor(%s): %w", shorten(cond), err)
		}
	}
}

// contextGone reports whether err says the page's JavaScript context was
// destroyed by a navigation.
func contextGone(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Execution context was destroyed") ||
		strings.Contains(s, "Cannot find default execution context") ||
		strings.Contains(s, "Inspected target navigated or closed")
}

// FrameRate counts animation frames in the page for d (the page's clock
// measures it) and returns the rate in frames per second.
func (p *Page) FrameRate(ctx context.Context, d time.Duration) (float64, error) {
	js := fmt.Sprintf(`new Promise(resolve => {
	let frames = 0, first = 0;
	const step = t => {
		if (frames === 0) first = t;
		frames++;
		if (t - first >= %d) resolve({frames: frames - 1, ms: t - first});
		else requestAnimationFrame(step);
	};
	requestAnimationFrame(step);
})`, d.Milliseconds())
	var r struct {
		Frames int     `json:"frames"`
		MS     float64 `json:"ms"`
	}
	if err := p.Eval(ctx, js, &r); err != nil {
		return 0, err
	}
	if r.MS <= 0 {
		return 0, errors.New("browser: frame rate: no time passed between frames")
	}
	return float64(r.Frames) * 1000 / r.MS, nil
}

// Screenshot captures the visible part of the page as a PNG image.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := p.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return nil, err
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return nil, fmt.Errorf("browser: screenshot: %w", err)
	}
	return png, nil
}

// SetViewport sets the size of the page's viewport in CSS pixels, with one
// device pixel per CSS pixel.
func (p *Page) SetViewport(ctx context.Context, width, height int) error {
	return p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false,
	}, nil)
}

// SetColorScheme makes the page's prefers-color-scheme media feature
// "light" or "dark" whatever the system's; "" goes back to the system's.
func (p *Page) SetColorScheme(ctx context.Context, scheme string) error {
	switch scheme {
	case "", "light", "dark":
	default:
		return fmt.Errorf("browser: color scheme %q: want \"light\", \"dark\" or \"\"", scheme)
	}
	return p.call(ctx, "Emulation.setEmulatedMedia", map[string]any{
		"features": []map[string]string{{"name": "prefers-color-scheme", "value": scheme}},
	}, nil)
}

// Console returns the console messages recorded so far, oldest first, and
// how many older ones were dropped to keep the most recent 1000.
func (p *Page) Console() ([]ConsoleMessage, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ConsoleMessage(nil), p.console...), p.dropped
}

// Exceptions returns the uncaught exceptions recorded so far, oldest first.
func (p *Page) Exceptions() []Exception {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Exception(nil), p.exceptions...)
}

// Err returns an error describing what went wrong in the page so far:
// uncaught exceptions (including rejected promises nobody handled), calls
// of console.error and failed console.assert, and a renderer crash. It
// returns nil if there was none. The browser's own log entries (a missing
// favicon, say) do not count; see Console for them.
func (p *Page) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var problems []string
	if p.crashed {
		problems = append(problems, "the page crashed")
	}
	for _, e := range p.exceptions {
		problems = append(problems, "uncaught: "+e.String())
	}
	for _, m := range p.console {
		if m.Source == "console" && (m.Level == "error" || m.Level == "assert") {
			problems = append(problems, "console."+m.Level+": "+m.Text)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("browser: the page reported %d problem(s):\n\t%s", len(problems), strings.Join(problems, "\n\t"))
}

// handleEvent records what the page reports. It runs on the reader.
func (p *Page) handleEvent(method string, params json.RawMessage) {
	switch method {
	case "Runtime.consoleAPICalled":
		var ev struct {
			Type       string         `json:"type"`
			Args       []remoteObject `json:"args"`
			StackTrace *struct {
				CallFrames []struct {
					URL        string `json:"url"`
					LineNumber int    `json:"lineNumber"`
				} `json:"callFrames"`
			} `json:"stackTrace"`
		}
		if json.Unmarshal(params, &ev) != nil {
			return
		}
		m := ConsoleMessage{Source: "console", Level: ev.Type, Text: argsText(ev.Args)}
		if ev.StackTrace != nil && len(ev.StackTrace.CallFrames) > 0 {
			m.URL = ev.StackTrace.CallFrames[0].URL
			m.Line = ev.StackTrace.CallFrames[0].LineNumber + 1
		}
		p.addConsole(m)
	case "Log.entryAdded":
		var ev struct {
			Entry struct {
				Source     string `json:"source"`
				Level      string `json:"level"`
				Text       string `json:"text"`
				URL        string `json:"url"`
				LineNumber int    `json:"lineNumber"`
			} `json:"entry"`
		}
		if json.Unmarshal(params, &ev) != nil {
			return
		}
		e := ev.Entry
		line := 0
		if e.URL != "" && e.LineNumber >= 0 {
			line = e.LineNumber + 1
		}
		p.addConsole(ConsoleMessage{Source: e.Source, Level: e.Level, Text: e.Text, URL: e.URL, Line: line})
	case "Runtime.exceptionThrown":
		var ev struct {
			ExceptionDetails exceptionDetails `json:"exceptionDetails"`
		}
		if json.Unmarshal(params, &ev) != nil {
			return
		}
		p.mu.Lock()
		p.exceptions = append(p.exceptions, ev.ExceptionDetails.exception())
		p.mu.Unlock()
	case "Inspector.targetCrashed":
		p.mu.Lock()
		p.crashed = true
		p.mu.Unlock()
	}
}

func (p *Page) addConsole(m ConsoleMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.console) == maxConsole {
		p.console = append(p.console[:0], p.console[1:]...)
		p.dropped++
	}
	p.console = append(p.console, m)
}

// argsText renders console arguments as the console would, roughly.
func argsText(args []remoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a.Type == "string" && len(a.Value) > 0:
			var s string
			if json.Unmarshal(a.Value, &s) == nil {
				parts = append(parts, s)
				continue
			}
			parts = append(parts, string(a.Value))
		case a.UnserializableValue != "":
			parts = append(parts, a.UnserializableValue)
		case a.Description != "":
			parts = append(parts, a.Description)
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		default:
			parts = append(parts, a.Type)
		}
	}
	return strings.Join(parts, " ")
}

// shorten cuts a long expression for error messages.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// Metrics returns the page's performance counters (the DevTools
// Performance domain): cumulative times in seconds such as ScriptDuration
// (JavaScript), TaskDuration (all main-thread tasks), LayoutDuration and
// RecalcStyleDuration, and counts such as Nodes and JSHeapUsedSize.
func (p *Page) Metrics(ctx context.Context) (map[string]float64, error) {
	if err := p.call(ctx, "Performance.enable", nil, nil); err != nil {
		return nil, err
	}
	var r struct {
		Metrics []struct {
			Name  string  `json:"name"`
			Value float64 `json:"value"`
		} `json:"metrics"`
	}
	if err := p.call(ctx, "Performance.getMetrics", nil, &r); err != nil {
		return nil, err
	}
	m := make(map[string]float64, len(r.Metrics))
	for _, e := range r.Metrics {
		m[e.Name] = e.Value
	}
	return m, nil
}
