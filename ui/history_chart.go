package ui

// The History screen's chart: a stacked bar per day.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"procsync/sync/roster"
)

// The chart's series, bottom to top of each day's bar. Each cell is the
// series' letter on its colour, so the chart reads without colour too.
var historySeries = []struct {
	letter, name string
	style        lipgloss.Style
	count        func(roster.DayCounts) int
}{
	{"c", "created", lipgloss.NewStyle().Background(colGreen).Foreground(colBlack), func(d roster.DayCounts) int { return d.Created }},
	{"r", "reactivated", lipgloss.NewStyle().Background(colCyan).Foreground(colBlack), func(d roster.DayCounts) int { return d.Reactivated }},
	{"u", "updated", lipgloss.NewStyle().Background(colBlue).Foreground(colWhite), func(d roster.DayCounts) int { return d.Updated }},
	{"f", "failed", lipgloss.NewStyle().Background(colRed).Foreground(colWhite).Bold(true), func(d roster.DayCounts) int { return d.Failed }},
}

// historyChart renders days as a stacked bar chart width cells wide: a
// legend with the period's totals, bars rows high (one column per day,
// 1 to 4 cells wide as the width allows), the axis, and the date under
// every 7th day counting back from the last. Every non-zero count gets at
// least one cell, so a single failure never disappears into the scale.
func historyChart(days []roster.DayCounts, width, rows int) []string {
	var legend []string
	totals := make([]int, len(historySeries))
	top := 0
	for _, d := range days {
		for i, se := range historySeries {
			totals[i] += se.count(d)
		}
		top = max(top, d.Total())
	}
	for i, se := range historySeries {
		legend = append(legend, se.style.Render(se.letter)+" "+se.name+" "+stBold.Render(Thousands(totals[i])))
	}
	out := []string{" " + strings.Join(legend, "   ")}
	if len(days) == 0 {
		return out
	}
	label := strconv.Itoa(top)
	axisW := len(label) + 2
	col := min(max((width-axisW-1)/len(days), 1), 5)
	barW := max(col-1, 1)
	stacks := make([][]int, len(days))
	for i, d := range days {
		counts := make([]int, len(historySeries))
		series := 0
		for j, se := range historySeries {
			if counts[j] = se.count(d); counts[j] > 0 {
				series++
			}
		}
		// The bar's height rounds up, and is at least one cell for
		// each series it holds.
		cells := 0
		if top > 0 && d.Total() > 0 {
			cells = min(max((d.Total()*rows+top-1)/top, series), rows)
		}
		stacks[i] = stackCells(counts, cells)
	}
	for r := rows - 1; r >= 0; r-- {
		var b strings.Builder
		switch {
		case r == rows-1:
			b.WriteString(fmt.Sprintf("%*s ┤", len(label), label))
		default:
			b.WriteString(strings.Repeat(" ", len(label)+1) + "│")
		}
		for _, st := range stacks {
			cell := strings.Repeat(" ", barW)
			for j, lo := 0, 0; j < len(st); j++ {
				if r >= lo && r < lo+st[j] {
					cell = historySeries[j].style.Render(strings.Repeat(historySeries[j].letter, barW))
					break
				}
				lo += st[j]
			}
			b.WriteString(cell + strings.Repeat(" ", col-barW))
		}
		out = append(out, b.String())
	}
	axis := fmt.Sprintf("%*s └", len(label), "0") + strings.Repeat("─", col*len(days))
	if top == 0 {
		axis += stDim.Render("  no changes in these days")
	}
	out = append(out, axis)
	// Dates under every 7th day back from the last, where they fit.
	dates := []rune(strings.Repeat(" ", axisW+col*len(days)+8))
	for i := len(days) - 1; i >= 0; i -= 7 {
		at := axisW + i*col
		for k, c := range days[i].Day.Format("2 Jan") {
			if at+k < len(dates) {
				dates[at+k] = c
			}
		}
	}
	out = append(out, stDim.Render(strings.TrimRight(string(dates), " ")))
	for i, l := range out {
		if ansi.StringWidth(l) > width {
			out[i] = ansi.Truncate(l, width, "")
		}
	}
	return out
}

// stackCells splits cells among counts: first one cell for each non-zero
// count, failures first and then the largest (so a lone failure never
// disappears into the scale), then the rest in proportion, largest
// remainder first.
func stackCells(counts []int, cells int) []int {
	out := make([]int, len(counts))
	total := 0
	order := make([]int, 0, len(counts))
	for i, c := range counts {
		total += c
		if c > 0 {
			order = append(order, i)
		}
	}
	if total == 0 || cells == 0 {
		return out
	}
	failed := len(counts) - 1 // the series are ordered with failures last
	sort.SliceStable(order, func(a, b int) bool {
		if (order[a] == failed) != (order[b] == failed) {
			return order[a] == failed
		}
		return counts[order[a]] > counts[order[b]]
	})
	used := 0
	for _, i := range order {
		if used < cells {
			out[i]++
			used++
		}
	}
	extra := cells - used
	if extra == 0 {
		return out
	}
	rem := make([]int, len(counts))
	for i, c := range counts {
		out[i] += c * extra / total
		rem[i] = c * extra % total
		used += c * extra / total
	}
	sort.SliceStable(order, func(a, b int) bool { return rem[order[a]] > rem[order[b]] })
	for _, i := range order {
		if used == cells {
			break
		}
		out[i]++
		used++
	}
	return out
}
