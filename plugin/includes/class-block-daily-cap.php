<?php
/**
 * A Chat block's own daily cap: at most `dailyQuestions` questions admitted per
 * block (post id + blockId) per day of the site's time zone; 0 means no cap.
 * The cap is read from the saved block (Block_Locator), never from the request,
 * so a visitor cannot lift it.
 *
 * The count of one block's day is one row of wp_options,
 * `sluice_daily_cap_<md5(post id:blockId)>_<Ymd>` (not autoloaded), taken with a
 * single conditional UPDATE (`value + 1 where value < cap`): the database
 * serialises the updates of a row, so two questions at the same instant can
 * never both take the last place, and no more than the cap is ever admitted.
 * (A transient would not do: with an object cache its read and write are two
 * steps, and two workers could both see the last free place.) The first
 * question of a day inserts the row and removes the block's rows of earlier days.
 * An admitted question counts even when the gateway then fails to answer it.
 *
 * @package Sluice
 */

namespace Sluice;

use DateTimeImmutable;
use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Block_Daily_Cap {

	public const OPTION_PREFIX = 'sluice_daily_cap_';

	/** The most a block may set: a cap above it is no cap at all. */
	public const MAX_QUESTIONS = 1000000;

	/**
	 * The cap a block's saved attributes set: 0 (none) unless `dailyQuestions` is a positive whole number.
	 *
	 * @param array<string, mixed> $block Block_Locator::locate()'s attributes.
	 */
	public static function cap_of( array $block ): int {
		$value = $block['dailyQuestions'] ?? 0;
		if ( ! is_int( $value ) && ! ( is_float( $value ) && floor( $value ) === $value ) ) {
			return 0;
		}
		return max( 0, min( self::MAX_QUESTIONS, (int) $value ) );
	}

	/**
	 * Counts one question for the block, or refuses it when the day's cap is reached.
	 *
	 * @param int                  $post_id  The post holding the block.
	 * @param string               $block_id The block's blockId.
	 * @param array<string, mixed> $block    The block's saved attributes.
	 * @param DateTimeImmutable    $now      The time (for tests); now by default.
	 * @return true|WP_Error True when admitted (and counted).
	 */
	public function admit( int $post_id, string $block_id, array $block, ?DateTimeImmutable $now = null ): bool|WP_Error {
		$cap = self::cap_of( $block );
		if ( $cap <= 0 ) {
			return true;
		}
		$now  = ( $now ?? new DateTimeImmutable( 'now' ) )->setTimezone( wp_timezone() );
		$name = self::option_name( $post_id, $block_id, $now );
		$this->start_day( $name, self::block_prefix( $post_id, $block_id ) );
		if ( $this->take_place( $name, $cap ) ) {
			return true;
		}
		$resets = $now->modify( 'tomorrow' );
		$wait   = max( 1, $resets->getTimestamp() - $now->getTimestamp() );
		return Error_Codes::wp_error(
			Error_Codes::SLUICE_DAILY_CAP_REACHED,
			__( 'This chat has answered as many questions as it takes today. Please come back tomorrow.', 'sluice' ),
			array(
				'retry_after' => $wait,
				'resets_at'   => gmdate( 'Y-m-d\TH:i:s\Z', $resets->getTimestamp() ),
			)
		);
	}

	/** How many questions the block has been admitted on the day of `$now` (0 when none). */
	public function count( int $post_id, string $block_id, ?DateTimeImmutable $now = null ): int {
		global $wpdb;
		$now   = ( $now ?? new DateTimeImmutable( 'now' ) )->setTimezone( wp_timezone() );
		$value = $wpdb->get_var( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching -- the counter is never cached.
			$wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", self::option_name( $post_id, $block_id, $now ) )
		);
		return is_numeric( $value ) ? (int) $value : 0;
	}

	private static function block_prefix( int $post_id, string $block_id ): string {
		return self::OPTION_PREFIX . md5( $post_id . ':' . $block_id ) . '_';
	}

	private static function option_name( int $post_id, string $block_id, DateTimeImmutable $day ): string {
		return self::block_prefix( $post_id, $block_id ) . $day->format( 'Ymd' );
	}

	/** Inserts the day's row at 0 unless it exists; the first of the day also drops the block's older rows. */
	private function start_day( string $name, string $block_prefix ): void {
		global $wpdb;
		// phpcs:disable WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching -- an atomic counter, never cached.
		$inserted = $wpdb->query(
			$wpdb->prepare( "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, '0', 'off')", $name )
		);
		if ( 1 === $inserted ) {
			$wpdb->query(
				$wpdb->prepare(
					"DELETE FROM {$wpdb->options} WHERE option_name LIKE %s AND option_name <> %s",
					$wpdb->esc_like( $block_prefix ) . '%',
					$name
				)
			);
		}
		// phpcs:enable
	}

	/** One atomic step: the count goes up by one only while it is below the cap. */
	private function take_place( string $name, int $cap ): bool {
		global $wpdb;
		$updated = $wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery, WordPress.DB.DirectDatabaseQuery.NoCaching -- an atomic counter, never cached.
			$wpdb->prepare( "UPDATE {$wpdb->options} SET option_value = option_value + 1 WHERE option_name = %s AND option_value + 0 < %d", $name, $cap )
		);
		return 1 === $updated;
	}
}
