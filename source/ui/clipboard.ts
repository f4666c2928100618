/**
 * Copy text to the clipboard of the terminal the user sits at, also over SSH: OSC 52 (`ESC ] 52 ; c ; base64 BEL`),
 * understood by xterm, kitty, iTerm2, WezTerm, foot, Windows Terminal, and tmux (which passes it on by default). Nothing
 * tells whether it worked, so the caller also shows the text for selecting by hand.
 */
export function osc52(text: string): string {
	return `\x1b]52;c;${Buffer.from(text, 'utf8').toString('base64')}\x07`;
}
