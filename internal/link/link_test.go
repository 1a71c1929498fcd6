package link

import (
	"io"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/scene/wire"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helperChild())
	}
	leakcheck.Main(m)
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := &wire.Batch{Seq: 3, Ops: []wire.Op{{Code: wire.OpSetXY, Node: 5, Pair: wire.PairCXY, X: 1, Y: 2}}}
	bm, err := AppendBatch(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	ev := wire.Event{Kind: wire.Click, Target: 4, X: 1, Y: 2, Button: 1, Viewer: 300}
	em, err := AppendEvent(nil, &ev)
	if err != nil {
		t.Fatal(err)
	}
	lm, err := AppendEvent(nil, &wire.Event{Kind: wire.ViewerLeft, Viewer: 300})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		msg   []byte
		check func(Msg) bool
	}{
		{"hello", AppendHello(nil, Hello{PID: 7, State: true, Title: "t"}), func(m Msg) bool {
			return m.Type == THello && m.Hello == Hello{Version: Version, PID: 7, State: true, Title: "t"}
		}},
		{"batch", bm, func(m Msg) bool { return m.Type == TBatch && m.Batch.Seq == 3 && m.Batch.Ops[0].X == 1 }},
		{"event", em, func(m Msg) bool {
			return m.Type == TEvent && m.Event.Target == 4 && m.Event.Kind == wire.Click && m.Event.Viewer == 300
		}},
		{"viewer left", lm, func(m Msg) bool { return m.Type == TEvent && m.Event == wire.Event{Kind: wire.ViewerLeft, Viewer: 300} }},
		{"state", AppendState(nil, []byte(`{"a":1}`), nil), func(m Msg) bool { return m.Type == TState && string(m.Data) == `{"a":1}` && m.Err == "" }},
		{"state error", AppendState(nil, nil, io.ErrUnexpectedEOF), func(m Msg) bool { return m.Type == TState && m.Err == "unexpected EOF" }},
		{"start", AppendStart(nil, []byte(`{}`), nil), func(m Msg) bool { return m.Type == TStart && string(m.Data) == "{}" && m.Controls == nil }},
		{"start afresh", AppendStart(nil, nil, nil), func(m Msg) bool { return m.Type == TStart && len(m.Data) == 0 && m.Controls == nil }},
		{"start with controls", AppendStart(nil, []byte(`{"a":1}`), []wire.Control{
			{Kind: wire.Slider, Name: "gravity", Value: wire.Number(80), Min: 1, Max: 900},
			{Kind: wire.Button, Name: "reset"},
			{Kind: wire.Toggle, Name: "trail", Value: wire.Bool(true)},
			{Kind: wire.Select, Name: "mode", Value: wire.String("fast")},
			{Kind: wire.TextBox, Name: "title", Value: wire.String("héllo")},
			{Kind: wire.NumberBox, Name: "n", Value: wire.Number(math.NaN())},
		}), func(m Msg) bool {
			return m.Type == TStart && string(m.Data) == `{"a":1}` && reflect.DeepEqual(m.Controls, []wire.Control{
				{Kind: wire.Slider, Name: "gravity", Value: wire.Number(80)},
				{Kind: wire.Toggle, Name: "trail", Value: wire.Bool(true)},
				{Kind: wire.Select, Name: "mode", Value: wire.String("fast")},
				{Kind: wire.TextBox, Name: "title", Value: wire.String("héllo")},
			})
		}},
		{"shutdown", Control(TShutdown), func(m Msg) bool { return m.Type == TShutdown }},
		{"state request", Control(TStateRequest), func(m Msg) bool { return m.Type == TStateRequest }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(m) {
				t.Errorf("decoded %+v", m)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  []byte
		want string
	}{
		{"empty", nil, "empty"},
		{"unknown", []byte{0x7f}, "unknown message"},
		{"bad hello", []byte{byte(THello), '{'}, "hello"},
		{"other version", []byte(`` + string(rune(THello)) + `{"v":99}`), "version 99"},
		{"bad batch", []byte{byte(TBatch), 0x80}, "batch"},
		{"bad state", []byte{byte(TState), 7}, "status"},
		{"shutdown with payload", []byte{byte(TShutdown), 1}, "payload"},
		{"event without a viewer", []byte{byte(TEvent)}, "viewer"},
		{"event of a browser kind only", []byte{byte(TEvent), 1, byte(wire.ViewerLeft)}, "unknown event kind"},
		{"viewer-left with more", []byte{byte(TViewerLeft), 1, 2}, "viewer"},
		{"start shorter than its state", []byte{byte(TStart), 5, '{'}, "state length"},
		{"start without a control count", []byte{byte(TStart), 0}, "control count"},
		{"start with a truncated control", []byte{byte(TStart), 0, 1, byte(wire.Slider), 9, 1}, "control value length"},
		{"start with a click for a control", append([]byte{byte(TStart), 0, 1, byte(wire.Slider), 2}, byte(wire.Click), 0), "control value"},
		{"start with trailing bytes", []byte{byte(TStart), 0, 0, 1}, "trailing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.msg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{byte(TBatch), 1, 8, 5, 2, 0, 0, 128, 63, 0, 0, 0, 192})
	f.Add(AppendHello(nil, Hello{PID: 1}))
	f.Add(AppendState(nil, []byte("{}"), nil))
	f.Fuzz(func(t *testing.T, msg []byte) {
		Decode(msg) // must not panic
	})
}
