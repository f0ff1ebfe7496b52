<?php
/**
 * A REST response whose body is a file to download (e.g. a CSV export), written
 * as it is by Download_Server instead of WordPress's JSON.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

final class Download_Response extends WP_REST_Response {

	/**
	 * @param string $body         The file's bytes.
	 * @param string $content_type Its media type.
	 * @param string $filename     The name the browser saves it as (ASCII letters, digits, ".", "_", "-").
	 */
	public function __construct( private string $body, string $content_type, string $filename ) {
		// The data is what an internal rest_do_request() sees; over HTTP the body replaces it.
		parent::__construct(
			$body,
			200,
			array(
				'Content-Type'           => $content_type,
				'Content-Disposition'    => 'attachment; filename="' . preg_replace( '/[^A-Za-z0-9._-]/', '_', $filename ) . '"',
				'X-Content-Type-Options' => 'nosniff',
			)
		);
	}

	public function body(): string {
		return $this->body;
	}
}
