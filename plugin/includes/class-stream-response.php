<?php
/**
 * A REST response whose body is a stream written after WordPress has sent the
 * status and headers (see Stream_Server). Route callbacks return it like any
 * response, so WordPress's own flow (rest_post_dispatch, CORS, no-cache headers)
 * runs unchanged and ends the request itself.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

final class Stream_Response extends WP_REST_Response {

	private ?Stream_Source $source;

	/**
	 * @param Stream_Source         $source  Writes the body.
	 * @param array<string, string> $headers Headers besides the event-stream ones.
	 */
	public function __construct( Stream_Source $source, array $headers = array() ) {
		// The data is what an internal rest_do_request() sees; over HTTP the stream replaces it.
		parent::__construct( array( 'streamed' => true ), 200, array_merge( Sse_Output::headers(), $headers ) );
		$this->source = $source;
	}

	/** Writes the stream; a response streams once. */
	public function stream( Sse_Output $output ): void {
		$source       = $this->source;
		$this->source = null;
		$source?->send( $output );
	}

	public function __destruct() {
		// Never served (an internal request, or a filter replaced the response): close the gateway call.
		$this->source?->discard();
	}
}
