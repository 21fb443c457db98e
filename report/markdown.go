package report

import (
	"fmt"
	"strings"

	"github.com/frontdoor-dev/frontdoor/compiler"
)

// MaxCommentSize is the budget of a pull-request comment: GitHub refuses
// bodies over 65,536 characters; frontdoor stays under 65,000.
const MaxCommentSize = 65000

// CommentMarker starts every comment, so that a workflow can find and
// update its previous comment instead of adding another.
const CommentMarker = "<!-- frontdoor -->"

// Markdown renders o as a pull-request comment of at most limit characters
// (runes): a heading with the verdict, what changes for whom, and the
// problems (breaking OpenAPI changes among them). When everything does not fit, the lines
// that fit are kept and a last line says how many were left out.
func Markdown(o *Output, limit int) string {
	var head strings.Builder
	head.WriteString(CommentMarker + "\n")
	errs := o.Diagnostics.Errors()
	warns := len(o.Diagnostics) - errs
	verdict := "✅"
	if errs > 0 {
		verdict = "❌"
	}
	fmt.Fprintf(&head, "### %s frontdoor %s", verdict, o.Command)
	if o.Base != "" || o.Head != "" {
		fmt.Fprintf(&head, ": `%s` → `%s`", mdCode(o.Base), mdCode(o.Head))
	}
	head.WriteString("\n\n")
	fmt.Fprintf(&head, "%s, %s", compiler.Count(errs, "error"), compiler.Count(warns, "warning"))
	if o.Actor != "" {
		fmt.Fprintf(&head, " · checked as %s", mdText(o.Actor))
	}
	if o.Summary != nil {
		fmt.Fprintf(&head, " · %s", compiler.Count(o.Summary.Lines(), "change"))
	}
	head.WriteString("\n")

	// The body is a list of blocks; each block is lines that are kept or
	// dropped one by one.
	var lines []string
	if o.Summary != nil {
		lines = append(lines, "", "#### What changes for whom")
		if o.Summary.Empty() {
			lines = append(lines, "", "Nothing changes for anyone.")
		}
		for _, g := range o.Summary.Groups {
			lines = append(lines, "", "**"+mdText(g.Title())+"**", "")
			for _, l := range g.Lines {
				lines = append(lines, "- "+mdText(l))
			}
		}
	}
	if len(o.Diagnostics) > 0 {
		lines = append(lines, "", "#### Problems", "", "| | where | code | problem |", "|---|---|---|---|")
		shown, more := o.printed()
		for _, d := range shown {
			icon := "❌"
			if d.Severity == compiler.SeverityWarning {
				icon = "⚠️"
			}
			msg := d.Message
			if d.Hint != "" {
				msg += " (" + d.Hint + ")"
			}
			lines = append(lines, fmt.Sprintf("| %s | `%s:%d:%d` | %s | %s |", icon, mdCode(d.File), d.Line, d.Col, d.Code, mdCell(msg)))
		}
		if more > 0 {
			lines = append(lines, "", "_… "+o.moreText(more)+"._")
		}
	}
	return fit(head.String(), lines, limit)
}

// fit joins head and lines within limit runes, dropping the lines that do
// not fit and saying so.
func fit(head string, lines []string, limit int) string {
	const reserve = 200 // room for the closing note
	var b strings.Builder
	b.WriteString(head)
	used := runes(head)
	for i, l := range lines {
		n := runes(l) + 1
		if used+n > limit-reserve {
			left := 0
			for _, r := range lines[i:] {
				var more int
				if _, err := fmt.Sscanf(r, "_… and %d more problems", &more); err == nil {
					left += more
					continue
				}
				if strings.HasPrefix(r, "- ") || strings.HasPrefix(r, "| ") && !strings.HasPrefix(r, "| |") {
					left++
				}
			}
			fmt.Fprintf(&b, "\n_… %d more %s not shown (the comment is limited to %d characters); the job's log and `frontdoor diff` locally show everything._\n", left, isAre(left, "line"), limit)
			return b.String()
		}
		b.WriteString(l)
		b.WriteByte('\n')
		used += n
	}
	return b.String()
}

func runes(s string) int { return len([]rune(s)) }

// mdText escapes text for Markdown: no HTML, no @mentions, no emphasis or
// links by accident.
func mdText(s string) string {
	return strings.NewReplacer(
		"\\", "\\\\", "<", "&lt;", ">", "&gt;", "@", "&#64;", "*", "\\*", "_", "\\_",
		"[", "\\[", "]", "\\]", "\r", " ", "\n", " ",
	).Replace(s)
}

// mdCell escapes text for a table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(mdText(s), "|", "\\|")
}

// mdCode makes s safe inside a code span.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "\r", " ", "\n", " ", "|", "\\|").Replace(s)
}

// isAre writes "line is" or "lines are".
func isAre(n int, noun string) string {
	if n == 1 {
		return noun + " is"
	}
	return noun + "s are"
}
