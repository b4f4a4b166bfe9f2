package core

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// writeGroupHelp prints az-style help for a command group.
func writeGroupHelp(w io.Writer, g *Group) {
	name := "az"
	if g.Name != "" {
		name = "az " + g.Name
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Group")
	if g.Short != "" {
		fmt.Fprintf(w, "    %s : %s\n", name, g.Short)
	} else {
		fmt.Fprintf(w, "    %s\n", name)
	}
	children := g.sortedChildren()
	commands := g.sortedCommands()
	width := 0
	for _, c := range children {
		width = max(width, len(c.lastWord()))
	}
	for _, c := range commands {
		width = max(width, len(c.Name))
	}
	if len(children) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Subgroups:")
		for _, c := range children {
			fmt.Fprintf(w, "    %-*s : %s\n", width, c.lastWord(), c.Short)
		}
	}
	if len(commands) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Commands:")
		for _, c := range commands {
			fmt.Fprintf(w, "    %-*s : %s\n", width, c.Name, c.Short)
		}
	}
	fmt.Fprintln(w)
}

// writeCommandHelp prints az-style help for a command.
func writeCommandHelp(w io.Writer, c *Command, args []*Arg) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Command")
	fmt.Fprintf(w, "    az %s : %s\n", c.Path(), c.Short)
	if c.Long != "" {
		for _, l := range strings.Split(c.Long, "\n") {
			fmt.Fprintf(w, "        %s\n", l)
		}
	}
	groups := map[string][]*Arg{}
	var order []string
	for _, a := range args {
		if a.Hidden {
			continue
		}
		g := a.Group
		if g == "" {
			g = "Arguments"
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], a)
	}
	// "Arguments" first, "Global Arguments" last, others alphabetically.
	sort.SliceStable(order, func(i, j int) bool {
		return groupRank(order[i]) < groupRank(order[j]) || groupRank(order[i]) == groupRank(order[j]) && order[i] < order[j]
	})
	width, reqWidth := 0, 0
	for _, a := range args {
		width = max(width, len(optionsLabel(a)))
		if a.Required && !a.Hidden {
			reqWidth = len("[Required] ")
		}
	}
	for _, g := range order {
		fmt.Fprintln(w)
		fmt.Fprintln(w, g)
		as := groups[g]
		sort.SliceStable(as, func(i, j int) bool {
			if as[i].Required != as[j].Required {
				return as[i].Required
			}
			return as[i].Options[0] < as[j].Options[0]
		})
		for _, a := range as {
			req := ""
			if a.Required {
				req = "[Required] "
			}
			help := a.Help
			if len(a.Choices) > 0 && !strings.Contains(help, "Allowed values") {
				help = strings.TrimSpace(help + "  Allowed values: " + strings.Join(sortedChoices(a.Choices), ", ") + ".")
			}
			if a.Default != "" {
				help = strings.TrimSpace(help + "  Default: " + a.Default + ".")
			}
			fmt.Fprintf(w, "    %-*s %-*s: %s\n", width, optionsLabel(a), reqWidth, req, help)
		}
	}
	if len(c.Examples) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Examples")
		for _, ex := range c.Examples {
			fmt.Fprintf(w, "    %s\n        %s\n\n", ex.Summary, ex.Command)
		}
	} else {
		fmt.Fprintln(w)
	}
}

func groupRank(g string) int {
	switch g {
	case "Arguments":
		return 0
	case "Global Arguments":
		return 2
	}
	return 1
}

func optionsLabel(a *Arg) string { return strings.Join(a.Options, " ") }

// sortedChoices is how az's help lists allowed values: sorted.
func sortedChoices(c []string) []string {
	s := append([]string(nil), c...)
	sort.Strings(s)
	return s
}
