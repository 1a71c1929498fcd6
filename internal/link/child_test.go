package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// helperEnv makes the test binary a scene child (TestMain).
const helperEnv = "VIZSERVE_LINK_TEST_CHILD"

// helperState is the helper scene's state, carried across a start.
type helperState struct {
	Clicks int
	Speed  float64 // bound to a slider: the carried value wins
}

// helperChild is a scene with a button that counts clicks in a text,
// run as a linked child.
func helperChild() int {
	s := scene.New(scene.Options{Width: 100, Height: 100})
	st := &helperState{}
	label := s.Root().Text(10, 10, "0", `id="label"`, "")
	s.Slider("speed", &st.Speed, 0, 10, 1)
	mode := "a"
	s.Select("mode", &mode, "a", "b")
	s.Root().Rect(0, 0, 50, 50, `id="button"`, "").OnClick(func(scene.Pointer) {
		st.Clicks++
		label.SetText(fmt.Sprint(st.Clicks))
	})
	err := RunChild(context.Background(), s, ChildOptions{Title: "helper", State: st, OnRestore: func() {
		label.SetText(fmt.Sprint(st.Clicks))
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func startHelper(t *testing.T) (*Peer, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	p, err := Attach(cmd)
	if err != nil {
		t.Skip(err)
	}
	err = cmd.Start()
	p.Started()
	if err != nil {
		p.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return p, cmd
}

// nextBatch reads messages until a batch, answering nothing else.
func nextBatch(ctx context.Context, t *testing.T, p *Peer) *wire.Batch {
	t.Helper()
	for {
		m, err := p.Next(ctx)
		if err != nil {
			t.Fatalf("reading the child: %v", err)
		}
		if m.Type == TBatch {
			return m.Batch
		}
	}
}

// A real child process: it says hello with its pid, waits for the start,
// restores the state it is given, sends its keyframe, runs a viewer's
// click, hands over its state, and exits 0 on shutdown, ending the link.
func TestChildProcess(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	p, cmd := startHelper(t)
	if err := p.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	if h := p.Hello(); h.PID != cmd.Process.Pid || h.Title != "helper" || !h.State || h.Version != Version {
		t.Fatalf("hello %+v, child pid %d", h, cmd.Process.Pid)
	}
	// The state says speed 2, the carried values 7: the state is restored
	// first, then the control values. A value for a control that is gone
	// is forgotten.
	carried := []wire.Control{
		{Kind: wire.Slider, Name: "speed", Value: wire.Number(7)},
		{Kind: wire.Select, Name: "mode", Value: wire.String("b")},
		{Kind: wire.Slider, Name: "gone", Value: wire.Number(1)},
	}
	if err := p.Send(ctx, AppendStart(nil, []byte(`{"Clicks":41,"Speed":2}`), carried)); err != nil {
		t.Fatal(err)
	}
	kf := nextBatch(ctx, t, p)
	if !kf.IsKeyframe() || !strings.Contains(kf.Ops[0].Text, ">41</text>") {
		t.Fatalf("the first batch is not a keyframe showing the restored 41 clicks: %v", kf.Ops[0])
	}
	got := map[string]wire.Value{}
	for _, op := range kf.Ops {
		if op.Code == wire.OpControls {
			for _, c := range op.Controls {
				got[c.Name] = c.Value
			}
		}
	}
	if got["speed"] != wire.Number(7) || got["mode"] != wire.String("b") || len(got) != 2 {
		t.Fatalf("the first keyframe's controls are %v, want speed 7 and mode b", got)
	}
	var label, button wire.Handle
	for _, e := range kf.Ops[0].Table {
		switch e.ID {
		case "label":
			label = e.Node
		case "button":
			button = e.Node
		}
	}
	click, err := AppendEvent(nil, &wire.Event{Kind: wire.Click, Target: button, Viewer: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctx, click); err != nil {
		t.Fatal(err)
	}
	for text := ""; text != "42"; {
		for _, op := range nextBatch(ctx, t, p).Ops {
			if op.Code == wire.OpSetText && op.Node == label {
				text = op.Text
			}
		}
	}
	if err := p.Send(ctx, Control(TStateRequest)); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := p.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == TState {
			if m.Err != "" || string(m.Data) != `{"Clicks":42,"Speed":7}` {
				t.Fatalf("state %q (error %q), want {\"Clicks\":42,\"Speed\":7}", m.Data, m.Err)
			}
			break
		}
	}
	if err := p.Send(ctx, Control(TShutdown)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := p.Next(ctx); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("after shutdown the link ended with %v, want io.EOF", err)
			}
			break
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the child exited with %v after shutdown", err)
	}
}

// A child whose parent goes away (its end of the link closed) stops by
// itself.
func TestChildEndsWithLink(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	p, cmd := startHelper(t)
	if err := p.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Send(ctx, AppendStart(nil, nil, nil)); err != nil {
		t.Fatal(err)
	}
	nextBatch(ctx, t, p)
	p.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the child exited with %v when its link closed", err)
	}
}

// A process that ends without saying hello gives ErrNoHello, at once.
func TestAcceptNoHello(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cmd := exec.Command("true")
	p, err := Attach(cmd)
	if err != nil {
		t.Skip(err)
	}
	defer p.Close()
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	p.Started()
	defer cmd.Wait()
	if err := p.Accept(ctx); !errors.Is(err, ErrNoHello) {
		t.Fatalf("Accept from a process that said nothing: %v", err)
	}
}
