# goshim activation for bash: `go` runs through goshim. Add to ~/.bashrc:
#   source /path/to/goshim/shims/activate.bash
# (or paste these lines). `goshim install` creates the link this directory holds.
goshim_bin="${XDG_DATA_HOME:-$HOME/.local/share}/goshim/bin"
case ":$PATH:" in
  ":$goshim_bin:"*) ;;
  *) export PATH="$goshim_bin:$PATH" ;;
esac
unset goshim_bin
# Completion for the goshim command itself.
if command -v goshim >/dev/null 2>&1; then
  eval "$(goshim completions bash)"
fi
