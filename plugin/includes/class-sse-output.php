<?php
/**
 * The raw output of a streamed response: takes over from PHP's and WordPress's
 * output buffering, writes each piece straight to the browser and says when the
 * browser has gone.
 *
 * What a stream needs on real hosts (shared/WORDPRESS-LOCAL.md): every output
 * buffer level ended (caching and security plugins open their own), no zlib
 * compression, `X-Accel-Buffering: no` for nginx, and a flush after each write.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Sse_Output {

	public const CONTENT_TYPE = 'text/event-stream; charset=utf-8';

	/**
	 * The headers of every stream, also set on the REST response so that they are
	 * sent with WordPress's own.
	 *
	 * @return array<string, string>
	 */
	public static function headers(): array {
		return array(
			'Content-Type'      => self::CONTENT_TYPE,
			'Cache-Control'     => 'no-cache, no-transform',
			'X-Accel-Buffering' => 'no',
		);
	}

	private bool $started = false;

	/**
	 * Ends every output buffer, turns compression off, keeps the script running
	 * when the browser goes away (so that the relay can stop the gateway itself)
	 * and sends the headers.
	 */
	public function start(): void {
		if ( $this->started ) {
			return;
		}
		$this->started = true;
		ignore_user_abort( true );
		if ( function_exists( 'set_time_limit' ) ) {
			// A long answer outlives max_execution_time; the relay has its own idle limit.
			set_time_limit( 0 );
		}
		if ( ! headers_sent() ) {
			if ( ini_get( 'zlib.output_compression' ) ) {
				ini_set( 'zlib.output_compression', '0' ); // phpcs:ignore WordPress.PHP.IniSet.Risky -- a compressed stream arrives all at once.
			}
			if ( function_exists( 'apache_setenv' ) ) {
				// Keeps mod_deflate from buffering the stream.
				apache_setenv( 'no-gzip', '1' );
			}
			foreach ( self::headers() as $name => $value ) {
				if ( 'Cache-Control' !== $name ) {
					// WordPress may have sent stricter no-cache headers for logged-in users: they stay.
					header( "{$name}: {$value}" );
				}
			}
			header_remove( 'Content-Length' );
		}
		$this->end_buffers();
		flush();
	}

	/**
	 * Writes bytes and pushes them to the browser. Returns false when the browser
	 * has gone (PHP notices a closed connection when a write fails).
	 */
	public function write( string $bytes ): bool {
		if ( ! $this->started ) {
			$this->start();
		}
		if ( '' !== $bytes ) {
			echo $bytes; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- the gateway's event stream, passed through unchanged.
			flush();
		}
		return ! $this->client_gone();
	}

	public function client_gone(): bool {
		return 0 !== connection_aborted();
	}

	/**
	 * Discards every output buffer that can be removed: what a plugin printed
	 * before the stream would corrupt it.
	 */
	private function end_buffers(): void {
		while ( ob_get_level() > 0 ) {
			$status = ob_get_status();
			$flags  = (int) ( $status['flags'] ?? 0 );
			if ( 0 === ( $flags & PHP_OUTPUT_HANDLER_REMOVABLE ) || ! ob_end_clean() ) {
				break;
			}
		}
	}
}
