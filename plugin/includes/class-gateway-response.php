<?php
/**
 * One answer of the gateway to a plain (non-streaming) request.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Gateway_Response {

	/**
	 * @param int                   $status  HTTP status.
	 * @param array<string, string> $headers Lower-cased names.
	 * @param string                $body    Raw body.
	 */
	public function __construct(
		public readonly int $status,
		public readonly array $headers,
		public readonly string $body,
	) {
	}

	public function ok(): bool {
		return $this->status >= 200 && $this->status < 300;
	}

	/** The body as a JSON object (an array), or null when it is not one. */
	public function json(): ?array {
		$decoded = json_decode( $this->body, true );
		return is_array( $decoded ) ? $decoded : null;
	}

	public function header( string $name ): ?string {
		return $this->headers[ strtolower( $name ) ] ?? null;
	}
}
