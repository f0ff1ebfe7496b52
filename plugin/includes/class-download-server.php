<?php
/**
 * Serves a Download_Response on the `rest_pre_serve_request` filter: WordPress
 * has sent the status and headers; the file is echoed instead of JSON and the
 * filter answers "served" (see Stream_Server for the same pattern).
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Download_Server {

	/**
	 * @param bool                  $served  Whether an earlier filter served the request.
	 * @param mixed                 $result  The response WordPress is about to send.
	 * @param \WP_REST_Request|null $request The request.
	 */
	public function serve( $served, $result, $request = null ): bool {
		if ( $served || ! $result instanceof Download_Response ) {
			return (bool) $served;
		}
		if ( ! ( $request instanceof \WP_REST_Request && 'HEAD' === $request->get_method() ) ) {
			echo $result->body(); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a file download (text/csv, nosniff), not HTML.
		}
		return true;
	}
}
