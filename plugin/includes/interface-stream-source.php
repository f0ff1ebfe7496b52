<?php
/**
 * Something that writes a text/event-stream body once WordPress has sent the
 * status and headers of the REST response (see Stream_Server).
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

interface Stream_Source {

	/** Writes the whole body through $output; returns early when the browser has gone. */
	public function send( Sse_Output $output ): void;

	/** Releases what send() would have used (the response was never served). */
	public function discard(): void;
}
