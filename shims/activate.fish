# goshim activation for fish: `go` runs through goshim. Add to ~/.config/fish/config.fish:
#   source /path/to/goshim/shims/activate.fish
# It moves the directory where `goshim install` made the `go` link to the front of PATH (once
# that directory exists): $XDG_DATA_HOME/goshim/bin (default ~/.local/share/goshim/bin), on
# macOS ~/Library/Application Support/goshim/bin. In an interactive shell it also loads the
# completion for the goshim command: one `goshim completions fish`, a few milliseconds, no
# network.
set -l goshim_bin $HOME/.local/share/goshim/bin
if string match -q -- '/*' "$XDG_DATA_HOME"
    set goshim_bin $XDG_DATA_HOME/goshim/bin
end
if test (uname) = Darwin
    set goshim_bin "$HOME/Library/Application Support/goshim/bin"
end
fish_add_path --prepend --path --move $goshim_bin
if status is-interactive; and command -q goshim
    goshim completions fish | source
end
