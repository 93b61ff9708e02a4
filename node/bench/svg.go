package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
)

// The picture: two panels drawn by hand (no plotting dependency). Left,
// the CDF of per-event propagation time for coopnode and the baselines
// (on the same graph, and as deployed),
// with the hop floor marked; right, the pubsub bytes each node received,
// nodes ranked from most to least.

const (
	svgW, svgH   = 1000, 460
	panelW       = 420
	panelH       = 300
	panelTop     = 70
	leftX, rghtX = 70, 560
	colCoop      = "#1f77b4"
	colBase      = "#ff7f0e"
	colDeployed  = "#9467bd"
)

type svgBuf struct{ b bytes.Buffer }

func (s *svgBuf) f(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

func (s *svgBuf) text(x, y float64, anchor, size, body string) {
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(body))
	s.f(`<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%s">%s</text>`+"\n", x, y, anchor, size, esc.String())
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// axes draws a panel's frame, ticks and labels.
func (s *svgBuf) axes(x0 float64, xmax, ymax float64, xlabel, ylabel, title string, yfmt string) {
	y0 := float64(panelTop + panelH)
	s.f(`<rect x="%.0f" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", x0, panelTop, panelW, panelH)
	for i := 0; i <= 5; i++ {
		fx := x0 + float64(i)*panelW/5
		fy := y0 - float64(i)*panelH/5
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", fx, y0, fx, panelTop)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, fy, x0+panelW, fy)
		s.text(fx, y0+16, "middle", "11", fmt.Sprintf("%.4g", xmax*float64(i)/5))
		s.text(x0-6, fy+4, "end", "11", fmt.Sprintf(yfmt, ymax*float64(i)/5))
	}
	s.text(x0+panelW/2, y0+36, "middle", "12", xlabel)
	s.f(`<text x="%.1f" y="%.1f" text-anchor="middle" font-size="12" transform="rotate(-90 %.1f %.1f)">%s</text>`+"\n",
		x0-48, float64(panelTop+panelH/2), x0-48, float64(panelTop+panelH/2), ylabel)
	s.text(x0+panelW/2, panelTop-10, "middle", "13", title)
}

func (s *svgBuf) polyline(pts [][2]float64, color string, dash bool) {
	if len(pts) == 0 {
		return
	}
	var b bytes.Buffer
	for _, p := range pts {
		fmt.Fprintf(&b, "%.1f,%.1f ", p[0], p[1])
	}
	d := ""
	if dash {
		d = ` stroke-dasharray="6 4"`
	}
	s.f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", bytes.TrimSpace(b.Bytes()), color, d)
}

// cdfPoints maps sorted samples (ms) to a step CDF in panel coordinates.
func cdfPoints(x0, xmax float64, sorted []float64) [][2]float64 {
	y0 := float64(panelTop + panelH)
	px := func(v float64) float64 { return x0 + math.Min(v, xmax)/xmax*panelW }
	pts := [][2]float64{{x0, y0}}
	for i, v := range sorted {
		prev := float64(i) / float64(len(sorted))
		cur := float64(i+1) / float64(len(sorted))
		pts = append(pts, [2]float64{px(v), y0 - prev*panelH}, [2]float64{px(v), y0 - cur*panelH})
	}
	if n := len(pts); n > 0 {
		pts = append(pts, [2]float64{x0 + panelW, pts[n-1][1]})
	}
	return pts
}

// WriteSVG draws the result's picture.
func (r *Result) WriteSVG(w io.Writer) error {
	var s svgBuf
	s.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n", svgW, svgH, svgW, svgH)
	s.f(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	s.text(svgW/2, 24, "middle", "15", fmt.Sprintf("coopnode bench: %d nodes, %s, links %.0f ms, degree %.1f, %.0f orders/min, churn %.0f%%, seed %d",
		r.Nodes, r.Transport, r.LinkLatencyMs, r.ConnectionDegree, r.OrdersPerMin, 100*r.Churn, r.Seed))

	// left: propagation CDF
	xmax := 0.0
	for _, v := range [][]float64{r.samples, r.baseSamples, r.depSamples} {
		if len(v) > 0 {
			xmax = math.Max(xmax, v[len(v)-1])
		}
	}
	xmax = niceCeil(math.Max(xmax, 2*r.HopFloorMs))
	s.axes(leftX, xmax, 1, "propagation to the last node that needs the event (ms)", "share of events", "Propagation CDF", "%.1f")
	if r.HopFloorMs > 0 {
		fx := leftX + r.HopFloorMs/xmax*panelW
		s.f(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#2ca02c" stroke-width="1.5" stroke-dasharray="3 3"/>`+"\n", fx, panelTop, fx, panelTop+panelH)
		s.text(fx+8, panelTop+panelH-40, "start", "11", fmt.Sprintf("hop floor %.0f ms", r.HopFloorMs))
	}
	s.polyline(cdfPoints(leftX, xmax, r.depSamples), colDeployed, true)
	s.polyline(cdfPoints(leftX, xmax, r.baseSamples), colBase, true)
	s.polyline(cdfPoints(leftX, xmax, r.samples), colCoop, false)

	// right: bytes per node
	kbs := func(v []int64) []float64 {
		out := make([]float64, len(v))
		for i, b := range v {
			out[i] = float64(b) / 1024
		}
		slices.Sort(out)
		slices.Reverse(out)
		return out
	}
	cb, bb, nb, db := kbs(r.bytesPerNode), kbs(r.baseBytesPerNode), kbs(r.neededBytesPerNode), kbs(r.depBytesPerNode)
	ymax := 0.0
	for _, v := range [][]float64{cb, bb, db} {
		if len(v) > 0 {
			ymax = math.Max(ymax, v[0])
		}
	}
	ymax = niceCeil(ymax)
	n := max(len(cb), len(bb), len(db), 1)
	s.axes(rghtX, float64(n), ymax, "nodes, most bytes first", "KB received (pubsub level)", "Bytes received per node", "%.0f")
	line := func(v []float64) [][2]float64 {
		var pts [][2]float64
		for i, k := range v {
			x := rghtX + (float64(i)+0.5)/float64(n)*panelW
			pts = append(pts, [2]float64{x, float64(panelTop+panelH) - k/ymax*panelH})
		}
		return pts
	}
	s.polyline(line(db), colDeployed, true)
	s.polyline(line(bb), colBase, true)
	s.polyline(line(cb), colCoop, false)
	if len(nb) > 0 {
		pts := line(nb)
		var b bytes.Buffer
		for _, p := range pts {
			fmt.Fprintf(&b, "%.1f,%.1f ", p[0], p[1])
		}
		s.f(`<polyline points="%s" fill="none" stroke="#777" stroke-width="1.5" stroke-dasharray="2 3"/>`+"\n", bytes.TrimSpace(b.Bytes()))
		s.text(rghtX+panelW-6, float64(panelTop+panelH)-nb[len(nb)/2]/ymax*panelH-6, "end", "11", "one copy of each needed event")
	}

	// legend
	ly := float64(svgH - 42)
	s.f(`<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="%s" stroke-width="2"/>`+"\n", leftX, ly, leftX+30, ly, colCoop)
	s.text(leftX+36, ly+4, "start", "12", fmt.Sprintf("coopnode (p50 %.0f ms, p99 %.0f ms, %.2f×S per needed delivery)", r.PropagationP50Ms, r.PropagationP99Ms, r.BytesPerEventRatio))
	if b := r.Baseline; b != nil {
		s.f(`<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`+"\n", rghtX, ly, rghtX+30, ly, colBase)
		s.text(rghtX+36, ly+4, "start", "12", fmt.Sprintf("plain gossipsub, same nodes (p50 %.0f ms, p99 %.0f ms, %.2f×S)", b.PropagationNeededP50Ms, b.PropagationNeededP99Ms, b.BytesPerEventRatio))
	}
	if d := r.BaselineDeployed; d != nil {
		ly += 22
		s.f(`<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="%s" stroke-width="2" stroke-dasharray="6 4"/>`+"\n", leftX, ly, leftX+30, ly, colDeployed)
		s.text(leftX+36, ly+4, "start", "12", fmt.Sprintf("plain gossipsub as deployed: random graph of degree 8, every node subscribed (p50 %.0f ms, p99 %.0f ms, %.2f×S)", d.PropagationP50Ms, d.PropagationP99Ms, d.BytesPerEventRatio))
	}
	s.f("</svg>\n")
	_, err := w.Write(s.b.Bytes())
	return err
}
