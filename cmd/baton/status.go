package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"baton/web"
)

// noticeStatus shows how far a notice's delivery got: the inboxes its Create and Updates were queued
// for, delivered, retrying and given up, and the last error of each host with a delivery retrying or
// given up. It follows the delivery with a progress bar until nothing is left to deliver, or reads it
// once with --once.
func noticeStatus(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("notice status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := clientFlags(fs)
	once := fs.Bool("once", false, "read the status once and exit, rather than follow it until nothing is left to deliver")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	every := fs.Duration("interval", 2*time.Second, "how often to read the status while following it")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("notice status: want the notice's id (its number or URL)")
	}
	if *every <= 0 {
		return fmt.Errorf("notice status: --interval %v: want more than 0", *every)
	}
	id := strings.TrimRight(rest[0], "/")
	id = id[strings.LastIndex(id, "/")+1:]
	path := "/api/v1/notices/" + url.PathEscape(id) + "/delivery"
	var v web.DeliveryView
	if err := c.call(http.MethodGet, path, nil, &v); err != nil {
		return err
	}
	if !*once && !v.Done() {
		prog := &progress{w: relabel{stderr}, tty: isTerminal(stderr)}
		for {
			prog.total = v.Total
			for prog.done < v.Delivered+v.Failed {
				prog.step()
			}
			if v.Done() {
				break
			}
			time.Sleep(*every)
			if err := c.call(http.MethodGet, path, nil, &v); err != nil {
				prog.finish()
				return err
			}
		}
		prog.finish()
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	printDelivery(stdout, v)
	return nil
}

// printDelivery writes a delivery status for people.
func printDelivery(w io.Writer, v web.DeliveryView) {
	fmt.Fprintf(w, "%s: %d of %d delivered, %d queued (%d retrying), %d given up\n",
		v.Notice, v.Delivered, v.Total, v.Queued, v.Retrying, v.Failed)
	if v.Updates.Total > 0 {
		fmt.Fprintf(w, "  the notice: %d of %d delivered; its updates: %d of %d delivered\n",
			v.Create.Delivered, v.Create.Total, v.Updates.Delivered, v.Updates.Total)
	}
	for _, h := range v.Hosts {
		var parts []string
		if h.Retrying > 0 {
			parts = append(parts, fmt.Sprintf("%d retrying", h.Retrying))
		}
		if h.Failed > 0 {
			parts = append(parts, fmt.Sprintf("%d given up", h.Failed))
		}
		fmt.Fprintf(w, "  %s: %s: %s\n", h.Host, strings.Join(parts, ", "), h.LastError)
	}
	if v.Done() {
		fmt.Fprintln(w, "nothing is left to deliver")
	}
}

// relabel puts this command's words in the place of watch import's in what progress writes: each of
// progress's lines comes in one Write.
type relabel struct{ w io.Writer }

var relabeler = strings.NewReplacer("watch import: ", "notice status: ", " lines done", " deliveries done")

func (r relabel) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, relabeler.Replace(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
