package deflate_test

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"

	"github.com/vizserve/vizserve/ws/internal/deflate"
)

// A sender with server_max_window_bits=8 and context takeover; the
// receiver appends the sync flush tail and keeps its window between
// messages. The first message is too short to shrink; the second refers
// back to the first.
func Example() {
	c := deflate.New(8, deflate.DefaultCompression)
	var window []byte // receiver: the last 256 bytes received
	for _, msg := range []string{
		`{"op":"set","id":"ball","attr":"cx","value":"120"}`,
		`{"op":"set","id":"ball","attr":"cx","value":"121"}`,
	} {
		payload := c.Finish(c.Write(nil, []byte(msg)))

		r := flate.NewReaderDict(io.MultiReader(bytes.NewReader(payload),
			bytes.NewReader([]byte{0x00, 0x00, 0xff, 0xff})), window)
		got, err := io.ReadAll(r)
		if err != io.ErrUnexpectedEOF { // the stream goes on: no final block
			fmt.Println("decode:", err)
		}
		window = append(window, got...)
		window = window[max(0, len(window)-256):]
		fmt.Printf("%d bytes in %d: %s\n", len(msg), len(payload), got)
	}
	// Output:
	// 50 bytes in 52: {"op":"set","id":"ball","attr":"cx","value":"120"}
	// 50 bytes in 7: {"op":"set","id":"ball","attr":"cx","value":"121"}
}
